/**
 * What the planner and the executor need from a scheduler: one-shot wake-ups of the executor
 * for a run. The executor trusts nothing from the schedule but the run id; the hint beside it
 * only names the run's integration and version, so all three are read in one request.
 */

export const SCHEDULE_KINDS = ["run", "retry", "watch"] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export interface ScheduleRunRequest {
  runId: string;
  /** Fires at this instant or up to a minute (plus any flexible window) later, never earlier. */
  at: Date;
  kind: ScheduleKind;
  /**
   * Which wake-up of this kind for this run, from 1: the run's attempt for `run`/`retry`,
   * the poll number for `watch`. Bump it for a deferral: the schedule that just fired may not
   * be deleted yet, and the same name would then read as "already scheduled".
   */
  attempt: number;
  /** Keys the executor reads alongside the run; checked against the run it reads, never trusted. */
  hint?: RunHint;
}

export interface RunHint {
  integrationId: string;
  sequence: number;
}

/** The hint for a run's wake-up: the keys of its integration and version, as the run holds them. */
export const runHint = (run: RunHint): RunHint => ({ integrationId: run.integrationId, sequence: run.sequence });

export interface RunScheduler {
  /** `false` only for the stand-in used before the updater stage exists: nothing can be scheduled. */
  readonly configured?: false;
  /** Idempotent: asking twice for the same run, kind and attempt leaves one schedule. */
  scheduleRun(request: ScheduleRunRequest): Promise<{ name: string; created: boolean }>;
  /** Idempotent: cancelling a schedule that fired or never existed succeeds. */
  cancel(name: string): Promise<void>;
}

/** API requests sent, for cost and rate reporting; every attempt counts, throttled ones too. */
export interface SchedulerCounters {
  create: number;
  delete: number;
  throttled: number;
}

export const createSchedulerCounters = (): SchedulerCounters => ({ create: 0, delete: 0, throttled: 0 });
