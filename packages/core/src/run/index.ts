export { HALT_CONFLICTS, isRunConflict, RUN_CONFLICTS, type RunConflict } from "./conflicts";
export { DEFAULT_LEASE_MS, IN_FLIGHT_STATES, type Lease, leaseHeld, type WaveSlot } from "./lease";
export * as Run from "./run";
export { RUN_STATES, type RunState } from "./run.entity";
export { plannedRunId } from "./run-id";
export { SCHEDULE_OVERDUE_MS } from "./sweep-due";
export { canTransition, TERMINAL_STATES, TRANSITIONS } from "./transitions";
