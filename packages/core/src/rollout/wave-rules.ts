import { HOUR_MS } from "../time";
import type { RolloutPolicy } from "./policy";
import { toleranceExceeded } from "./tolerance";
import { type MaintenanceWindow, nextWindowStart } from "./window";

/** The canary wave's progress, counted by integration (a retried integration counts once). */
export interface CanaryProgress {
  size: number;
  /** Integrations whose run reached a terminal state with no retry pending. */
  finished: number;
  /** Of those, the ones that failed. */
  failed: number;
  /** When the last of them finished; absent while none has. */
  lastFinishedAt?: Date | undefined;
}

export type MainWaveDecision =
  | { ok: true }
  | { ok: false; reason: "canary_failed" }
  | { ok: false; reason: "canary_pending" }
  | { ok: false; reason: "cooling_off"; retryAt: Date };

/**
 * Whether a main-wave run may act now. Planning only estimates when the main wave starts; canary runs wait for their own maintenance windows and may finish days
 * later, so the executor asks this instead: the whole canary finished within its tolerance,
 * and a full cooling-off has passed since its last run finished.
 */
export function mainWaveGate(
  canary: CanaryProgress,
  policy: Pick<RolloutPolicy, "coolingOffHours" | "maxConcurrent" | "failureTolerance">,
  now: Date,
): MainWaveDecision {
  if (canary.size === 0) return { ok: true };
  if (toleranceExceeded(policy, canary.size, canary.failed)) return { ok: false, reason: "canary_failed" };
  if (canary.finished < canary.size || !canary.lastFinishedAt) return { ok: false, reason: "canary_pending" };
  const coolEnd = canary.lastFinishedAt.getTime() + policy.coolingOffHours * HOUR_MS;
  if (now.getTime() < coolEnd) return { ok: false, reason: "cooling_off", retryAt: new Date(coolEnd) };
  return { ok: true };
}

/**
 * Whether `now` is inside the integration's maintenance window (always, without one). The
 * executor checks it again because a delivery can land outside the planned window: Scheduler
 * retries for up to the retry policy's event age, and a flexible window adds its own delay.
 */
export const isWithinWindow = (window: MaintenanceWindow | undefined, now: Date): boolean =>
  window === undefined || nextWindowStart(window, now).getTime() === now.getTime();
