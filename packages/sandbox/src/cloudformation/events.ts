import type { ResourceStatus, StackStatus } from "@aws-sdk/client-cloudformation";
import { randomUUID } from "./ids";
import type { Operation, StackRecord } from "./types";

/** Moves the stack to `status` and records the stack-level event, carrying the operation's token. */
export function setStackStatus(
  stack: StackRecord,
  op: Operation,
  status: StackStatus,
  now: Date,
  reason?: string,
): void {
  stack.status = status;
  stack.statusReason = reason;
  stack.events.push({
    eventId: randomUUID(),
    logicalResourceId: stack.stackName,
    physicalResourceId: stack.stackId,
    resourceType: "AWS::CloudFormation::Stack",
    timestamp: now,
    status: status as ResourceStatus,
    ...(reason !== undefined && { reason }),
    clientRequestToken: op.token,
  });
}

export interface ResourceEvent {
  logicalId: string;
  type: string;
  physicalId?: string;
  properties?: Record<string, unknown>;
  status: ResourceStatus;
  reason?: string;
}

export function recordResourceEvent(stack: StackRecord, op: Operation, now: Date, event: ResourceEvent): void {
  stack.events.push({
    eventId: randomUUID(),
    logicalResourceId: event.logicalId,
    physicalResourceId: event.physicalId ?? "",
    resourceType: event.type,
    timestamp: now,
    status: event.status,
    ...(event.reason !== undefined && { reason: event.reason }),
    ...(event.properties !== undefined && { properties: JSON.stringify(event.properties) }),
    clientRequestToken: op.token,
  });
}
