export { HALT_CONFLICTS, isRunConflict, RUN_CONFLICTS, type RunConflict } from "./conflicts";
export * as Run from "./run";
export { RUN_STATES, type RunState } from "./run.entity";
export { plannedRunId } from "./run-id";
export { canTransition, TERMINAL_STATES, TRANSITIONS } from "./transitions";
