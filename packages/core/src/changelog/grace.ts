import * as z from "zod";
import type { Changelog } from "./schema";

/** How long customers get to review a version before it rolls out, and when an operator must approve. */
export const GracePolicy = z.object({
  defaultHours: z.number().int().min(0),
  broadeningHours: z.number().int().min(0),
  requireApprovalWhenBroadened: z.boolean(),
});
export type GracePolicy = z.infer<typeof GracePolicy>;

export const DEFAULT_GRACE_POLICY: GracePolicy = {
  defaultHours: 24,
  broadeningHours: 72,
  requireApprovalWhenBroadened: false,
};

/**
 * A version that broadens what we may do in customer accounts waits longer (never shorter
 * than the default, whatever the configuration says) and, if so configured, for an operator.
 */
export function gracePeriodFor(
  changelog: Pick<Changelog, "permissionsBroadened">,
  policy: GracePolicy = DEFAULT_GRACE_POLICY,
): { graceHours: number; approvalRequired: boolean } {
  if (!changelog.permissionsBroadened) return { graceHours: policy.defaultHours, approvalRequired: false };
  return {
    graceHours: Math.max(policy.defaultHours, policy.broadeningHours),
    approvalRequired: policy.requireApprovalWhenBroadened,
  };
}
