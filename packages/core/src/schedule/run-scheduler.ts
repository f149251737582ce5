/**
 * What the planner and the executor need from a scheduler: one-shot wake-ups of the executor
 * for a run. The executor trusts nothing from the schedule but the run id, so that is all a
 * request carries to the target.
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
}

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
