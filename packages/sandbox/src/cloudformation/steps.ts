import type { Template } from "@stackfleet/core/template/parse";
import { ResourceFailure } from "./errors";
import { resolveContext, type StackIdentity } from "./evaluation";
import { recordResourceEvent } from "./events";
import { randomUUID } from "./ids";
import { resolve } from "./intrinsics";
import { providerFor, type ResourceContext } from "./resources";
import { type DeleteCause, retainedBy } from "./retain";
import type { Runtime } from "./runtime";
import type { Operation, ResourceRecord, StackRecord } from "./types";

/** The template and values an operation applies. */
export interface Target {
  template: Template;
  parameters: Record<string, string>;
  conditions: Record<string, boolean>;
  dependencies: Map<string, string[]>;
}

export type StepResult = { ok: true; replaced?: ResourceRecord } | { ok: false; reason: string };

const identity = (stack: StackRecord): StackIdentity => stack;

function resourceContext(rt: Runtime, stack: StackRecord, logicalId: string, type: string): ResourceContext {
  return {
    accountId: stack.accountId,
    region: stack.region,
    stackId: stack.stackId,
    stackName: stack.stackName,
    logicalId,
    type,
    roles: rt.roles,
    invokeCustomResource: (request) =>
      rt.invokeCustomResource({
        ...request,
        requestId: randomUUID(),
        accountId: stack.accountId,
        region: stack.region,
        stackId: stack.stackId,
        logicalResourceId: logicalId,
        resourceType: type,
        serviceTokenResource: rt.findResourceByArn(stack.accountId, stack.region, request.serviceToken),
      }),
  };
}

/**
 * Without a service role CloudFormation acts with the caller's credentials: once an assumed-role
 * session expires, every further resource action of the operation fails.
 */
function checkCredentials(rt: Runtime, stack: StackRecord, op: Operation): void {
  if (!stack.roleArn && op.caller?.type === "assumed-role" && rt.timeline.now() >= op.caller.expiresAt) {
    throw new ResourceFailure("The security token included in the request is expired");
  }
}

function resolveProperties(stack: StackRecord, target: Target, logicalId: string): Record<string, unknown> {
  const ctx = resolveContext(identity(stack), target.template, target.parameters, target.conditions, (id) =>
    stack.resources.get(id),
  );
  return resolve(target.template.Resources[logicalId]!.Properties ?? {}, ctx) as Record<string, unknown>;
}

function record(
  logicalId: string,
  target: Target,
  physicalId: string,
  properties: Record<string, unknown>,
  attributes: Record<string, unknown>,
  status: ResourceRecord["status"],
): ResourceRecord {
  const definition = target.template.Resources[logicalId]!;
  return {
    logicalId,
    type: definition.Type,
    physicalId,
    properties,
    attributes,
    definition,
    dependsOn: target.dependencies.get(logicalId) ?? [],
    status,
  };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function createResource(
  rt: Runtime,
  stack: StackRecord,
  op: Operation,
  target: Target,
  logicalId: string,
  injectedFailure?: string,
): Promise<StepResult> {
  const type = target.template.Resources[logicalId]!.Type;
  const now = () => rt.timeline.now();
  recordResourceEvent(stack, op, now(), { logicalId, type, status: "CREATE_IN_PROGRESS" });
  let properties: Record<string, unknown> = {};
  try {
    if (injectedFailure !== undefined) throw new ResourceFailure(injectedFailure);
    checkCredentials(rt, stack, op);
    properties = resolveProperties(stack, target, logicalId);
    const made = await providerFor(type).create(resourceContext(rt, stack, logicalId, type), properties);
    recordResourceEvent(stack, op, now(), {
      logicalId,
      type,
      physicalId: made.physicalId,
      properties,
      status: "CREATE_IN_PROGRESS",
      reason: "Resource creation Initiated",
    });
    await rt.timeline.after(rt.durations().resource ?? 0);
    stack.resources.set(
      logicalId,
      record(logicalId, target, made.physicalId, properties, made.attributes, "CREATE_COMPLETE"),
    );
    recordResourceEvent(stack, op, now(), {
      logicalId,
      type,
      physicalId: made.physicalId,
      properties,
      status: "CREATE_COMPLETE",
    });
    return { ok: true };
  } catch (e) {
    const physicalId = e instanceof ResourceFailure ? e.physicalId : undefined;
    // A custom resource that answered FAILED with an id exists as far as CloudFormation knows: rollback sends it a Delete.
    if (physicalId !== undefined)
      stack.resources.set(logicalId, record(logicalId, target, physicalId, properties, {}, "CREATE_FAILED"));
    recordResourceEvent(stack, op, now(), {
      logicalId,
      type,
      ...(physicalId !== undefined && { physicalId }),
      status: "CREATE_FAILED",
      reason: message(e),
    });
    return { ok: false, reason: message(e) };
  }
}

/** An in-place update; `replaced` is set when the handler answered with a new physical id (custom resources). */
export async function updateResource(
  rt: Runtime,
  stack: StackRecord,
  op: Operation,
  target: Target,
  logicalId: string,
  injectedFailure?: string,
  knownProperties?: Record<string, unknown>,
): Promise<StepResult> {
  const current = stack.resources.get(logicalId)!;
  const now = () => rt.timeline.now();
  recordResourceEvent(stack, op, now(), {
    logicalId,
    type: current.type,
    physicalId: current.physicalId,
    status: "UPDATE_IN_PROGRESS",
  });
  try {
    if (injectedFailure !== undefined) throw new ResourceFailure(injectedFailure);
    checkCredentials(rt, stack, op);
    const properties = knownProperties ?? resolveProperties(stack, target, logicalId);
    const updated = await providerFor(current.type).update(
      resourceContext(rt, stack, logicalId, current.type),
      current,
      properties,
    );
    await rt.timeline.after(rt.durations().resource ?? 0);
    const next = {
      ...record(logicalId, target, updated.physicalId, properties, updated.attributes, "UPDATE_COMPLETE"),
    };
    stack.resources.set(logicalId, next);
    recordResourceEvent(stack, op, now(), {
      logicalId,
      type: current.type,
      physicalId: next.physicalId,
      properties,
      status: "UPDATE_COMPLETE",
    });
    return updated.physicalId === current.physicalId ? { ok: true } : { ok: true, replaced: current };
  } catch (e) {
    recordResourceEvent(stack, op, now(), {
      logicalId,
      type: current.type,
      physicalId: current.physicalId,
      status: "UPDATE_FAILED",
      reason: message(e),
    });
    return { ok: false, reason: message(e) };
  }
}

/** A replacement: the new physical resource is created now, the old one (`replaced`) deleted in cleanup. */
export async function replaceResource(
  rt: Runtime,
  stack: StackRecord,
  op: Operation,
  target: Target,
  logicalId: string,
  injectedFailure?: string,
): Promise<StepResult> {
  const current = stack.resources.get(logicalId)!;
  const provider = providerFor(current.type);
  const now = () => rt.timeline.now();
  recordResourceEvent(stack, op, now(), {
    logicalId,
    type: current.type,
    physicalId: current.physicalId,
    status: "UPDATE_IN_PROGRESS",
    reason: "Requested update requires the creation of a new physical resource; hence creating one.",
  });
  try {
    if (injectedFailure !== undefined) throw new ResourceFailure(injectedFailure);
    checkCredentials(rt, stack, op);
    const properties = resolveProperties(stack, target, logicalId);
    const name = provider.nameProperty ? properties[provider.nameProperty] : undefined;
    if (name !== undefined && name === current.properties[provider.nameProperty!]) {
      throw new ResourceFailure(
        `CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename ${String(name)} and update the stack again.`,
      );
    }
    const made = await provider.create(resourceContext(rt, stack, logicalId, current.type), properties);
    recordResourceEvent(stack, op, now(), {
      logicalId,
      type: current.type,
      physicalId: made.physicalId,
      properties,
      status: "UPDATE_IN_PROGRESS",
      reason: "Resource creation Initiated",
    });
    await rt.timeline.after(rt.durations().resource ?? 0);
    stack.resources.set(
      logicalId,
      record(logicalId, target, made.physicalId, properties, made.attributes, "UPDATE_COMPLETE"),
    );
    recordResourceEvent(stack, op, now(), {
      logicalId,
      type: current.type,
      physicalId: made.physicalId,
      properties,
      status: "UPDATE_COMPLETE",
    });
    return { ok: true, replaced: current };
  } catch (e) {
    recordResourceEvent(stack, op, now(), {
      logicalId,
      type: current.type,
      physicalId: current.physicalId,
      status: "UPDATE_FAILED",
      reason: message(e),
    });
    return { ok: false, reason: message(e) };
  }
}

/** Deletes one physical resource (the caller drops it from the stack) unless its policy retains it. */
export async function deleteResource(
  rt: Runtime,
  stack: StackRecord,
  op: Operation,
  resource: ResourceRecord,
  cause: DeleteCause,
  retain = false,
): Promise<StepResult> {
  const now = () => rt.timeline.now();
  const base = { logicalId: resource.logicalId, type: resource.type, physicalId: resource.physicalId };
  if (retain || retainedBy(resource.definition, cause)) {
    recordResourceEvent(stack, op, now(), { ...base, status: "DELETE_SKIPPED" });
    return { ok: true };
  }
  recordResourceEvent(stack, op, now(), { ...base, status: "DELETE_IN_PROGRESS" });
  try {
    checkCredentials(rt, stack, op);
    await providerFor(resource.type).delete(resourceContext(rt, stack, resource.logicalId, resource.type), resource);
    await rt.timeline.after(rt.durations().resource ?? 0);
    recordResourceEvent(stack, op, now(), { ...base, status: "DELETE_COMPLETE" });
    return { ok: true };
  } catch (e) {
    recordResourceEvent(stack, op, now(), { ...base, status: "DELETE_FAILED", reason: message(e) });
    return { ok: false, reason: message(e) };
  }
}

/** Reverse dependency order over the given records: dependents go first. */
export function deletionOrder(resources: ResourceRecord[]): ResourceRecord[] {
  const byId = new Map(resources.map((r) => [r.logicalId, r]));
  const order: ResourceRecord[] = [];
  const done = new Set<string>();
  const visit = (r: ResourceRecord) => {
    if (done.has(r.logicalId)) return;
    done.add(r.logicalId);
    for (const dep of r.dependsOn) {
      const d = byId.get(dep);
      if (d) visit(d);
    }
    order.push(r);
  };
  resources.forEach(visit);
  return order.reverse();
}
