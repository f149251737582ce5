import { finish, phase, type Runtime } from "./runtime";
import { deleteResource, deletionOrder } from "./steps";
import type { Operation, StackRecord } from "./types";

/** DeleteStack: DELETE_IN_PROGRESS → DELETE_COMPLETE, or DELETE_FAILED keeping what could not be deleted. */
export async function runDelete(rt: Runtime, stack: StackRecord, op: Operation, retain: string[]): Promise<void> {
  await rt.timeline.until(rt.timeline.now());
  const failed: string[] = [];
  await phase(rt, stack, op, "DELETE_IN_PROGRESS", "User Initiated", async () => {
    for (const resource of deletionOrder([...stack.resources.values()])) {
      const result = await deleteResource(rt, stack, op, resource, "delete", retain.includes(resource.logicalId));
      if (result.ok) stack.resources.delete(resource.logicalId);
      else failed.push(resource.logicalId);
    }
  });
  if (failed.length > 0) {
    finish(rt, stack, op, "DELETE_FAILED", `The following resource(s) failed to delete: [${failed.join(", ")}]. `);
    return;
  }
  stack.deletionTime = rt.timeline.now();
  finish(rt, stack, op, "DELETE_COMPLETE");
}
