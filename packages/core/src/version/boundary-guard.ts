import type { Changelog } from "../changelog/index";
import { inputError } from "../error";
import { LOGICAL } from "../template/customer/logical";

/**
 * A version that changes the vendor permissions boundary, or moves a role off the boundary it
 * has, can never reach an installed stack through an automatic update: the installed boundary
 * denies the stack's own service role every change to itself (`DenyChangingTheBoundary`) and
 * every role change that drops it (template/customer/boundary.ts). Published anyway, it would be
 * scheduled, announced to every customer and fail for each of them until the rollout halted
 * itself. So publication refuses it, naming what changed; a new boundary takes each customer
 * updating the stack with their own credentials.
 *
 * Roles that gain a boundary (new roles, `before` null) and the boundary being added where the
 * previous version had none are fine: nothing installed denies them.
 */
export function assertBoundaryKept(changelog: Changelog): void {
  const boundary = LOGICAL.boundary;
  const touched = [
    ...changelog.resources.modified.filter((m) => m.logicalId === boundary).map(() => `${boundary} is modified`),
    ...changelog.resources.removed.filter((r) => r.logicalId === boundary).map(() => `${boundary} is removed`),
    ...changelog.resources.renamed.filter((r) => r.from === boundary).map((r) => `${boundary} is renamed to ${r.to}`),
    ...changelog.boundaries
      .filter((b) => b.before !== null && b.before !== b.after)
      .map((b) => `role ${b.role}'s permissions boundary changes from ${b.before} to ${b.after ?? "none"}`),
  ];
  if (touched.length === 0) return;
  throw inputError(
    "boundary_changed",
    `This version changes the permissions boundary installed stacks carry (${touched.join("; ")}): ` +
      "the installed boundary denies every stack's own service role that change, so no automatic update " +
      `could apply it${changelog.from ? ` (compared with ${changelog.from})` : ""}. Keep the boundary as it is; a new ` +
      "boundary needs each customer to update their stack themselves.",
    { changes: touched },
  );
}
