import { isStackfleetError, type StackfleetError } from "../error";

/** Every conflict a run write can raise, so callers branch on a closed set instead of strings. */
export const RUN_CONFLICTS = [
  /** The state machine forbids the move. */
  "transition_not_allowed",
  /** The run is no longer in the state (or revision) the caller holds: another delivery acted. */
  "run_state_changed",
  /** The global halt is set. */
  "halted",
  /** The run's version is halted or withdrawn. */
  "version_halted",
  /** The integration is no longer connected and opted in, or skipped the version. */
  "integration_ineligible",
  /** The integration moved under a write that patches it: re-read and try again. */
  "integration_changed",
  /** The follow-up run already exists (retries have deterministic ids). */
  "run_exists",
  /** An audit event id collided. */
  "event_exists",
  /** The wave's in-flight slots are all taken (or a failure shrank its limit meanwhile). */
  "wave_full",
  /** Another run of the integration is between its claim and its outcome: the stack is its turn. */
  "stack_busy",
  /** A run leaving flight no longer holds its stack's turn (someone took it over: never expected). */
  "stack_lost",
  /** DynamoDB cancelled the transaction for contention with another one: try again. */
  "transaction_conflict",
] as const;
export type RunConflict = (typeof RUN_CONFLICTS)[number];

export type RunConflictError<C extends RunConflict = RunConflict> = StackfleetError & { kind: "conflict"; code: C };

/** Is `e` one of these run conflicts (any of them when none is named)? */
export function isRunConflict<C extends RunConflict>(e: unknown, ...codes: C[]): e is RunConflictError<C> {
  if (!isStackfleetError(e, "conflict")) return false;
  return codes.length === 0
    ? (RUN_CONFLICTS as readonly string[]).includes(e.code)
    : (codes as readonly string[]).includes(e.code);
}

/** The conflicts that mean "stop: a halt or the customer's choice won", as opposed to a race. */
export const HALT_CONFLICTS = ["halted", "version_halted"] as const satisfies readonly RunConflict[];
