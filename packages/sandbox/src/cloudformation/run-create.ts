import { outputsOf } from "./run-shared";
import { finish, phase, type Runtime } from "./runtime";
import { createResource, deleteResource, deletionOrder, type Target } from "./steps";
import type { Operation, StackRecord } from "./types";

/**
 * CreateStack / a CREATE change set: CREATE_IN_PROGRESS → CREATE_COMPLETE, or on a failed resource
 * ROLLBACK_IN_PROGRESS → ROLLBACK_COMPLETE (then DELETE_COMPLETE with OnFailure DELETE, or
 * CREATE_FAILED with DO_NOTHING). Resolves true when the stack was created.
 */
export async function runCreate(
  rt: Runtime,
  stack: StackRecord,
  op: Operation,
  target: Target,
  order: string[],
): Promise<boolean> {
  await rt.timeline.until(rt.timeline.now());
  let failed: { logicalId?: string; reason: string } | undefined;
  await phase(rt, stack, op, "CREATE_IN_PROGRESS", "User Initiated", async () => {
    for (const logicalId of order) {
      const result = await createResource(rt, stack, op, target, logicalId);
      if (!result.ok) return void (failed = { logicalId, reason: result.reason });
    }
    const outputs = outputsOf(stack, target);
    if (outputs.ok) stack.outputs = outputs.outputs;
    else failed = { reason: outputs.reason };
  });
  if (!failed) {
    finish(rt, stack, op, "CREATE_COMPLETE");
    return true;
  }
  const reason = failed.logicalId
    ? `The following resource(s) failed to create: [${failed.logicalId}]. `
    : failed.reason;
  if (stack.onFailure === "DO_NOTHING") {
    finish(rt, stack, op, "CREATE_FAILED", reason);
    return false;
  }
  const notDeleted: string[] = [];
  await phase(rt, stack, op, "ROLLBACK_IN_PROGRESS", `${reason}Rollback requested by user.`, async () => {
    for (const resource of deletionOrder([...stack.resources.values()])) {
      const result = await deleteResource(rt, stack, op, resource, "rollback");
      if (result.ok) stack.resources.delete(resource.logicalId);
      else notDeleted.push(resource.logicalId);
    }
  });
  if (notDeleted.length > 0) {
    finish(
      rt,
      stack,
      op,
      "ROLLBACK_FAILED",
      `The following resource(s) failed to delete: [${notDeleted.join(", ")}]. `,
    );
    return false;
  }
  finish(rt, stack, op, "ROLLBACK_COMPLETE");
  if (stack.onFailure === "DELETE") {
    await phase(rt, stack, op, "DELETE_IN_PROGRESS", undefined, async () => {});
    stack.deletionTime = rt.timeline.now();
    finish(rt, stack, op, "DELETE_COMPLETE");
  }
  return false;
}
