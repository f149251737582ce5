export * as Run from "./run";
export { TRANSITIONS, TERMINAL_STATES, canTransition } from "./transitions";
export { RUN_STATES, type RunState } from "./run.entity";
