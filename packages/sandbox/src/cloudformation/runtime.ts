import type { StackStatus } from "@aws-sdk/client-cloudformation";
import { setStackStatus } from "./events";
import type { RoleDirectory } from "./resources";
import type { Timeline } from "./timeline";
import type { CustomResourceRequest, CustomResourceResponse, Operation, PhaseDurations, StackRecord } from "./types";

/** What the operation runners share with the engine. */
export interface Runtime {
  timeline: Timeline;
  durations(): PhaseDurations;
  roles: RoleDirectory;
  invokeCustomResource(request: CustomResourceRequest): Promise<CustomResourceResponse>;
  findResourceByArn(accountId: string, region: string, arn: string): CustomResourceRequest["serviceTokenResource"];
}

export function phaseSeconds(rt: Runtime, status: StackStatus): number {
  const durations = rt.durations();
  return durations.statuses?.[status] ?? durations.default ?? 0;
}

/**
 * One `*_IN_PROGRESS` phase: the stack shows `status` while `work` runs, and for at least the
 * configured duration on the clock.
 */
export async function phase(
  rt: Runtime,
  stack: StackRecord,
  op: Operation,
  status: StackStatus,
  reason: string | undefined,
  work: () => Promise<void>,
): Promise<void> {
  const start = rt.timeline.now();
  setStackStatus(stack, op, status, start, reason);
  await work();
  await rt.timeline.until(new Date(start.getTime() + phaseSeconds(rt, status) * 1000));
}

export function finish(rt: Runtime, stack: StackRecord, op: Operation, status: StackStatus, reason?: string): void {
  setStackStatus(stack, op, status, rt.timeline.now(), reason);
}
