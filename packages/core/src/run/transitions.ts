import type { RunState } from "./run.entity";

/**
 * The run state machine (DESIGN.md). A retry is not a transition: it is a new run with
 * attempt + 1. `watching → watching` is the hand-over to a later "watch" invocation.
 */
export const TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  scheduled: ["claimed", "cancelled"],
  // claimed → succeeded: the change set came back empty — the stack already is at the version.
  // claimed → scheduled: the executor's own floor (minimum grace, emergency stop) says not yet.
  claimed: ["scheduled", "skipped", "ineligible", "executing", "succeeded", "failed", "cancelled"],
  executing: ["watching", "succeeded", "failed"],
  watching: ["watching", "succeeded", "failed"],
  skipped: [],
  ineligible: [],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export const TERMINAL_STATES: readonly RunState[] = (Object.keys(TRANSITIONS) as RunState[]).filter(
  (s) => TRANSITIONS[s].length === 0,
);

export const canTransition = (from: RunState, to: RunState) => TRANSITIONS[from].includes(to);
