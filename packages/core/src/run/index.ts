export * as Run from "./run";
export { RUN_STATES, type RunState } from "./run.entity";
export { canTransition, TERMINAL_STATES, TRANSITIONS } from "./transitions";
