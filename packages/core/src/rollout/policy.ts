import * as z from "../zod-mini";

/**
 * How a version rolls out, borrowing CloudFormation StackSets' operation preferences
 * (MaxConcurrentCount|Percentage, FailureToleranceCount|Percentage) with a canary cohort in
 * front. Stored in the `rollout-policy` control item; operators may override it per version.
 */

// StackSets takes whole percentages for both, and a concurrency of at least 1.
const MaxConcurrent = z.union([
  z.strictObject({ count: z.int().check(z.gte(1)) }),
  z.strictObject({ percentage: z.int().check(z.gte(1), z.lte(100)) }),
]);
const FailureTolerance = z.union([
  z.strictObject({ count: z.int().check(z.gte(0)) }),
  z.strictObject({ percentage: z.int().check(z.gte(0), z.lte(100)) }),
]);

const Canary = z
  .strictObject({
    /** Always in the canary when they are part of the rollout (e.g. the vendor's own accounts). */
    integrationIds: z.optional(z.array(z.string().check(z.minLength(1))).check(z.maxLength(1000))),
    /** Share of the whole fleet, named ids included; at most half, or it is not a canary. */
    percentage: z.optional(z.number().check(z.gt(0), z.lte(50))),
  })
  .check(
    z.refine((c) => (c.integrationIds?.length ?? 0) > 0 || c.percentage !== undefined, {
      message: "a canary needs integrationIds or a percentage",
    }),
  );

const MAX_HOURS = 24 * 30;

export const RolloutPolicy = z.strictObject({
  canary: z.optional(Canary),
  /** Between the canary wave's start and the main wave's. */
  coolingOffHours: z._default(z.number().check(z.gte(0), z.lte(MAX_HOURS)), 24),
  maxConcurrent: MaxConcurrent,
  failureTolerance: FailureTolerance,
  graceHours: z._default(z.number().check(z.gte(0), z.lte(MAX_HOURS)), 24),
});
export type RolloutPolicy = z.output<typeof RolloutPolicy>;
export type RolloutPolicyInput = z.input<typeof RolloutPolicy>;

/** Until an operator stores one: a 5 % canary, then 10 % at a time, halting past 5 % failures. */
export const DEFAULT_ROLLOUT_POLICY: RolloutPolicy = RolloutPolicy.parse({
  canary: { percentage: 5 },
  maxConcurrent: { percentage: 10 },
  failureTolerance: { percentage: 5 },
});
