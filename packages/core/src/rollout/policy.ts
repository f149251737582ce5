import * as z from "zod";

/**
 * How a version rolls out, borrowing CloudFormation StackSets' operation preferences
 * (MaxConcurrentCount|Percentage, FailureToleranceCount|Percentage) with a canary cohort in
 * front. Stored in the `rollout-policy` control item; operators may override it per version.
 */

// StackSets takes whole percentages for both, and a concurrency of at least 1.
const MaxConcurrent = z.union([
  z.strictObject({ count: z.int().min(1) }),
  z.strictObject({ percentage: z.int().min(1).max(100) }),
]);
const FailureTolerance = z.union([
  z.strictObject({ count: z.int().min(0) }),
  z.strictObject({ percentage: z.int().min(0).max(100) }),
]);

const Canary = z
  .strictObject({
    /** Always in the canary when they are part of the rollout (e.g. the vendor's own accounts). */
    integrationIds: z.array(z.string().min(1)).max(1000).optional(),
    /** Share of the whole fleet, named ids included; at most half, or it is not a canary. */
    percentage: z.number().gt(0).max(50).optional(),
  })
  .refine((c) => (c.integrationIds?.length ?? 0) > 0 || c.percentage !== undefined, {
    message: "a canary needs integrationIds or a percentage",
  });

const MAX_HOURS = 24 * 30;

export const RolloutPolicy = z.strictObject({
  canary: Canary.optional(),
  /** Between the canary wave's start and the main wave's. */
  coolingOffHours: z.number().min(0).max(MAX_HOURS).default(24),
  maxConcurrent: MaxConcurrent,
  failureTolerance: FailureTolerance,
  graceHours: z.number().min(0).max(MAX_HOURS).default(24),
});
export type RolloutPolicy = z.output<typeof RolloutPolicy>;
export type RolloutPolicyInput = z.input<typeof RolloutPolicy>;

/** Until an operator stores one: a 5 % canary, then 10 % at a time, halting past 5 % failures. */
export const DEFAULT_ROLLOUT_POLICY: RolloutPolicy = RolloutPolicy.parse({
  canary: { percentage: 5 },
  maxConcurrent: { percentage: 10 },
  failureTolerance: { percentage: 5 },
});
