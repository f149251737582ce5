import type {
  DescribeChangeSetOutput,
  DescribeStackEventsOutput,
  Stack,
  StackEvent,
  StackResource,
} from "@aws-sdk/client-cloudformation";
import { validationError } from "./errors";
import { describeParameters } from "./parameters";
import type { ChangeSetRecord, ResourceRecord, StackEventRecord, StackRecord } from "./types";

/** DescribeStacks' view of a stack. */
export function describeStack(stack: StackRecord): Stack {
  const out: Stack = {
    StackId: stack.stackId,
    StackName: stack.stackName,
    CreationTime: stack.creationTime,
    StackStatus: stack.status,
    Parameters: describeParameters(stack.template?.parsed, stack.parameters),
    Capabilities: stack.capabilities,
    Outputs: stack.outputs,
    Tags: stack.tags,
    NotificationARNs: stack.notificationArns,
    DisableRollback: stack.onFailure === "DO_NOTHING",
    EnableTerminationProtection: false,
    DriftInformation: { StackDriftStatus: "NOT_CHECKED" },
  };
  if (stack.statusReason !== undefined) out.StackStatusReason = stack.statusReason;
  if (typeof stack.template?.parsed.Description === "string") out.Description = stack.template.parsed.Description;
  if (stack.lastUpdatedTime) out.LastUpdatedTime = stack.lastUpdatedTime;
  if (stack.deletionTime) out.DeletionTime = stack.deletionTime;
  if (stack.roleArn) out.RoleARN = stack.roleArn;
  if (stack.changeSetId) out.ChangeSetId = stack.changeSetId;
  if (stack.timeoutInMinutes !== undefined) out.TimeoutInMinutes = stack.timeoutInMinutes;
  return out;
}

export function describeEvent(stack: StackRecord, event: StackEventRecord): StackEvent {
  const out: StackEvent = {
    StackId: stack.stackId,
    EventId: event.eventId,
    StackName: stack.stackName,
    LogicalResourceId: event.logicalResourceId,
    PhysicalResourceId: event.physicalResourceId ?? "",
    ResourceType: event.resourceType,
    Timestamp: event.timestamp,
    ResourceStatus: event.status,
    ClientRequestToken: event.clientRequestToken,
  };
  if (event.reason !== undefined) out.ResourceStatusReason = event.reason;
  if (event.properties !== undefined) out.ResourceProperties = event.properties;
  return out;
}

export function describeChangeSet(
  stack: StackRecord,
  cs: ChangeSetRecord,
  includePropertyValues: boolean,
): DescribeChangeSetOutput {
  const out: DescribeChangeSetOutput = {
    ChangeSetName: cs.name,
    ChangeSetId: cs.id,
    StackId: stack.stackId,
    StackName: stack.stackName,
    Parameters: describeParameters(cs.template.parsed, cs.parameters),
    CreationTime: cs.creationTime,
    ExecutionStatus: cs.executionStatus,
    Status: cs.status,
    NotificationARNs: cs.notificationArns,
    RollbackConfiguration: {},
    Capabilities: cs.capabilities,
    Tags: cs.tags,
    Changes: cs.changes.map(({ change, before, after }) => {
      if (!includePropertyValues || !change.ResourceChange) return change;
      return {
        ...change,
        ResourceChange: {
          ...change.ResourceChange,
          ...(before && { BeforeContext: JSON.stringify({ Properties: before }) }),
          ...(after && { AfterContext: JSON.stringify({ Properties: after }) }),
        },
      };
    }),
    IncludeNestedStacks: false,
  };
  if (cs.description !== undefined) out.Description = cs.description;
  if (cs.statusReason !== undefined) out.StatusReason = cs.statusReason;
  if (cs.onStackFailure !== undefined) out.OnStackFailure = cs.onStackFailure;
  return out;
}

/** DescribeStackResources' view; the timestamp is the resource's latest event. */
export function describeResource(stack: StackRecord, resource: ResourceRecord): StackResource {
  const latest = stack.events.findLast((e) => e.logicalResourceId === resource.logicalId);
  return {
    StackName: stack.stackName,
    StackId: stack.stackId,
    LogicalResourceId: resource.logicalId,
    PhysicalResourceId: resource.physicalId,
    ResourceType: resource.type,
    Timestamp: latest?.timestamp ?? stack.creationTime,
    ResourceStatus: resource.status,
    DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
  };
}

const EVENTS_PAGE = 100;

/** One page of DescribeStackEvents, newest first; the token is the offset of the next page. */
export function eventsPage(stack: StackRecord, nextToken: string | undefined): DescribeStackEventsOutput {
  const start = nextToken ? Number(Buffer.from(nextToken, "base64url").toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw validationError("Invalid NextToken");
  const newestFirst = [...stack.events].reverse();
  const page = newestFirst.slice(start, start + EVENTS_PAGE).map((event) => describeEvent(stack, event));
  const next =
    start + EVENTS_PAGE < newestFirst.length
      ? Buffer.from(String(start + EVENTS_PAGE)).toString("base64url")
      : undefined;
  return { StackEvents: page, ...(next && { NextToken: next }) };
}
