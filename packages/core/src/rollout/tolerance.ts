import type { RolloutPolicy } from "./policy";

/**
 * StackSets' STRICT_FAILURE_TOLERANCE, applied per wave the way StackSets applies it per
 * Region. The AWS API reference (StackSetOperationPreferences › ConcurrencyMode) says:
 *   "This option dynamically lowers the concurrency level to ensure the number of failed
 *    accounts never exceeds the value of FailureToleranceCount +1. The initial actual
 *    concurrency is set to the lower of either the value of the MaxConcurrentCount, or the
 *    value of FailureToleranceCount +1. The actual concurrency is then reduced proportionally
 *    by the number of failures."
 * and, for the percentage forms: "CloudFormation rounds down to the next whole number", with
 * MaxConcurrentPercentage raised to one "if rounding down would result in zero".
 *
 * We read "reduced by the number of failures" through the guarantee it exists for: with f
 * failures so far, at most `tolerance + 1 - f` runs may be in flight, so that even if every one
 * of them fails the wave ends with at most `tolerance + 1` failures. Hence
 *   concurrency(f) = min(maxConcurrent, tolerance + 1 - f), never below 0,
 * and the wave halts once failures exceed the tolerance.
 */

const percentOf = (percentage: number, size: number) => Math.floor((percentage * size) / 100);

/** Failures a wave of `waveSize` absorbs before it halts (percentages round down, may be 0). */
export const toleranceFor = (policy: Pick<RolloutPolicy, "failureTolerance">, waveSize: number) =>
  "count" in policy.failureTolerance
    ? policy.failureTolerance.count
    : percentOf(policy.failureTolerance.percentage, waveSize);

/** Runs of a wave in flight at once before failures count (percentages round down, min 1). */
export const maxConcurrentFor = (policy: Pick<RolloutPolicy, "maxConcurrent">, waveSize: number) =>
  "count" in policy.maxConcurrent
    ? policy.maxConcurrent.count
    : Math.max(1, percentOf(policy.maxConcurrent.percentage, waveSize));

type StrictPolicy = Pick<RolloutPolicy, "maxConcurrent" | "failureTolerance">;

/** How many runs of the wave may be in flight once `failures` of them have failed. */
export function concurrencyFor(policy: StrictPolicy, waveSize: number, failures: number): number {
  const limit = Math.min(maxConcurrentFor(policy, waveSize), toleranceFor(policy, waveSize) + 1 - failures);
  return Math.max(0, limit);
}

/** True once the wave has failed more often than it tolerates: tolerance 1 halts on the 2nd failure. */
export const toleranceExceeded = (policy: StrictPolicy, waveSize: number, failures: number) =>
  failures > toleranceFor(policy, waveSize);

export type StartDecision = { ok: true } | { ok: false; reason: "tolerance_exceeded" | "concurrency_full" };

/**
 * The executor's gate, checked when a run is claimed: `inFlight` counts the wave's other runs
 * already claimed and not yet finished. `tolerance_exceeded` means halt the rollout;
 * `concurrency_full` means come back later.
 */
export function mayStart(input: {
  inFlight: number;
  failures: number;
  waveSize: number;
  policy: StrictPolicy;
}): StartDecision {
  if (toleranceExceeded(input.policy, input.waveSize, input.failures)) {
    return { ok: false, reason: "tolerance_exceeded" };
  }
  if (input.inFlight >= concurrencyFor(input.policy, input.waveSize, input.failures)) {
    return { ok: false, reason: "concurrency_full" };
  }
  return { ok: true };
}

/** A wave's failures the tolerance still counts: those after the ones an operator accepted by resuming. */
export const unaccepted = (tally: { failed?: number; accepted?: number } | null | undefined) =>
  Math.max(0, (tally?.failed ?? 0) - (tally?.accepted ?? 0));
