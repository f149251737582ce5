import type { Output } from "@aws-sdk/client-cloudformation";
import { recordResourceEvent } from "./events";
import type { Action, Plan } from "./plan";
import { outputsOf } from "./run-shared";
import { finish, phase, type Runtime } from "./runtime";
import { createResource, deleteResource, deletionOrder, replaceResource, type Target, updateResource } from "./steps";
import type { LoadedTemplate, Operation, ResourceRecord, StackRecord } from "./types";

/** What the stack looked like before the update, restored by a rollback. */
export interface Snapshot {
  template: LoadedTemplate;
  target: Target;
  parameters: Record<string, string>;
  outputs: Output[];
}

interface Done {
  logicalId: string;
  action: Action;
  before?: ResourceRecord;
}

/**
 * UpdateStack / ExecuteChangeSet: UPDATE_IN_PROGRESS → UPDATE_COMPLETE_CLEANUP_IN_PROGRESS →
 * UPDATE_COMPLETE; a failed step rolls back through UPDATE_ROLLBACK_IN_PROGRESS →
 * UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS → UPDATE_ROLLBACK_COMPLETE (or stops at
 * UPDATE_ROLLBACK_FAILED). New and replaced resources are deleted only in the cleanup phases.
 */
export async function runUpdate(
  rt: Runtime,
  stack: StackRecord,
  op: Operation,
  plan: Plan,
  target: Target,
  previous: Snapshot,
): Promise<boolean> {
  await rt.timeline.until(rt.timeline.now());
  const done: Done[] = [];
  const replacedOld: ResourceRecord[] = [];
  let failed: (Done & { reason: string }) | { reason: string; logicalId?: undefined } | undefined;
  let injected = op.fault?.reason;

  await phase(rt, stack, op, "UPDATE_IN_PROGRESS", "User Initiated", async () => {
    const steps = plan.order.filter((id) => plan.actions.has(id));
    if (steps.length === 0 && injected !== undefined) return void (failed = { reason: injected });
    for (const logicalId of steps) {
      const action = plan.actions.get(logicalId)!;
      const before = stack.resources.get(logicalId);
      const inject = injected;
      injected = undefined;
      const step = action === "Add" ? createResource : action === "Replace" ? replaceResource : updateResource;
      const result = await step(rt, stack, op, target, logicalId, inject);
      if (!result.ok) return void (failed = { logicalId, action, ...(before && { before }), reason: result.reason });
      done.push({ logicalId, action, ...(before && { before }) });
      if (result.replaced) replacedOld.push(result.replaced);
    }
    const outputs = outputsOf(stack, target);
    if (outputs.ok) stack.outputs = outputs.outputs;
    else failed = { reason: outputs.reason };
  });

  if (!failed) {
    await phase(rt, stack, op, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", undefined, async () => {
      const removed = plan.removals.map((id) => stack.resources.get(id)).filter((r) => r !== undefined);
      // A failed cleanup delete leaves the resource orphaned but the update complete, as in AWS.
      for (const resource of deletionOrder(removed)) {
        await deleteResource(rt, stack, op, resource, "delete");
        stack.resources.delete(resource.logicalId);
      }
      for (const resource of replacedOld) await deleteResource(rt, stack, op, resource, "replaced");
    });
    finish(rt, stack, op, "UPDATE_COMPLETE");
    return true;
  }

  const verb = failed.logicalId === undefined ? undefined : failed.action === "Add" ? "create" : "update";
  const reason = verb ? `The following resource(s) failed to ${verb}: [${failed.logicalId}]. ` : failed.reason;
  const toDelete = [...replacedOld.map((old) => stack.resources.get(old.logicalId)).filter((r) => r !== undefined)];
  let rollbackFault = op.fault?.rollbackFails ? `${op.fault.reason} (rollback)` : undefined;
  let rollbackFailed = false;

  await phase(rt, stack, op, "UPDATE_ROLLBACK_IN_PROGRESS", reason, async () => {
    const reverts: Done[] = [...(failed!.logicalId !== undefined ? [failed as Done] : []), ...done.reverse()];
    if (reverts.length === 0 && rollbackFault !== undefined) return void (rollbackFailed = true);
    for (const step of reverts) {
      const fault = rollbackFault;
      rollbackFault = undefined;
      const current = stack.resources.get(step.logicalId);
      if (step.action === "Add") {
        if (current) toDelete.push(current);
        stack.resources.delete(step.logicalId);
        if (fault !== undefined) return void (rollbackFailed = true);
        continue;
      }
      const before = step.before!;
      if (step.action === "Replace" || current?.physicalId !== before.physicalId) {
        // A replacement that failed before creating anything leaves the old resource as it was.
        if (current?.physicalId === before.physicalId) {
          if (fault !== undefined) return void (rollbackFailed = true);
          continue;
        }
        if (current && !toDelete.includes(current)) toDelete.push(current);
        stack.resources.set(step.logicalId, before);
        const status = fault === undefined ? "UPDATE_COMPLETE" : "UPDATE_FAILED";
        recordResourceEvent(stack, op, rt.timeline.now(), {
          logicalId: before.logicalId,
          type: before.type,
          physicalId: before.physicalId,
          status,
          ...(fault !== undefined && { reason: fault }),
        });
        if (fault !== undefined) return void (rollbackFailed = true);
        continue;
      }
      const result = await updateResource(rt, stack, op, previous.target, step.logicalId, fault, before.properties);
      if (!result.ok) return void (rollbackFailed = true);
    }
  });

  stack.template = previous.template;
  stack.parameters = previous.parameters;
  stack.outputs = previous.outputs;
  if (rollbackFailed) {
    finish(rt, stack, op, "UPDATE_ROLLBACK_FAILED", reason);
    return false;
  }
  await phase(rt, stack, op, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", undefined, async () => {
    for (const resource of deletionOrder(toDelete)) await deleteResource(rt, stack, op, resource, "rollback");
  });
  finish(rt, stack, op, "UPDATE_ROLLBACK_COMPLETE");
  return false;
}
