import type { Log } from "../log";
import type { Notifier } from "../notify/notifier";

/** What one sweep needs from the outside world besides the table and the clock. */
export interface SweeperContext {
  /**
   * Hands a run to the executor again, with nothing but its id: an asynchronous invoke of the
   * executor in AWS, the local executor in `npm start`. The executor decides, as for any delivery.
   */
  redeliver(runId: string): Promise<void>;
  /** Where undelivered notifications go; absent, the sweep leaves them for a stage that has it. */
  notifier?: Notifier;
  log: Log;
  metric?(name: string, value: number, unit: "Count"): void;
  /** Runs re-delivered per kind, and notifications delivered, per sweep (default 500): one sweep stays well inside its invocation. */
  limit?: number;
  /** Notifications younger than this are still their writer's to deliver (default 1 minute). */
  notificationGraceMs?: number;
}

export interface SweepCounts {
  /** Runs in flight whose lease ran out: handed to the executor to take over. */
  expiredLeases: number;
  /** Runs still `scheduled` well past their time (their schedule is gone or failed): delivered again. */
  overdueRuns: number;
  /** Overdue runs left alone because their version or every rollout is halted (resuming re-plans them). */
  heldRuns: number;
  /** Customer notifications delivered by the sweep. */
  notifications: number;
  /** Re-deliveries that failed (left for the next sweep). */
  failures: number;
}

export const emptyCounts = (): SweepCounts => ({
  expiredLeases: 0,
  overdueRuns: 0,
  heldRuns: 0,
  notifications: 0,
  failures: 0,
});
