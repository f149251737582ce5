import type {
  Capability,
  Change,
  ChangeSetStatus,
  ExecutionStatus,
  OnFailure,
  Output,
  ResourceStatus,
  StackStatus,
  Tag,
} from "@aws-sdk/client-cloudformation";
import type { Template } from "@stackfleet/core/template/parse";
import type { Principal } from "../contract";

/** A template as submitted (GetTemplate returns the original bytes) and as parsed. */
export interface LoadedTemplate {
  body: string;
  parsed: Template;
}

/** One provisioned resource of a stack. `properties` are resolved values, never intrinsics. */
export interface ResourceRecord {
  logicalId: string;
  type: string;
  physicalId: string;
  properties: Record<string, unknown>;
  attributes: Record<string, unknown>;
  /** The raw template definition it was last created/updated from, for change-set diffs. */
  definition: Template["Resources"][string];
  /** Logical ids it depended on, so deletion runs in reverse order. */
  dependsOn: string[];
  status: ResourceStatus;
}

export interface StackEventRecord {
  eventId: string;
  logicalResourceId: string;
  physicalResourceId?: string;
  resourceType: string;
  timestamp: Date;
  status: ResourceStatus;
  reason?: string;
  properties?: string;
  clientRequestToken: string;
}

export interface StackRecord {
  stackId: string;
  stackName: string;
  accountId: string;
  region: string;
  status: StackStatus;
  statusReason?: string;
  creationTime: Date;
  lastUpdatedTime?: Date;
  deletionTime?: Date;
  /** Absent only while a CREATE change set is under review. */
  template?: LoadedTemplate;
  parameters: Record<string, string>;
  capabilities: Capability[];
  roleArn?: string;
  tags: Tag[];
  notificationArns: string[];
  outputs: Output[];
  resources: Map<string, ResourceRecord>;
  events: StackEventRecord[];
  changeSets: Map<string, ChangeSetRecord>;
  /** The change set last executed on it. */
  changeSetId?: string;
  onFailure: OnFailure;
  timeoutInMinutes?: number;
}

export interface ChangeSetRecord {
  id: string;
  name: string;
  stackId: string;
  type: "CREATE" | "UPDATE";
  description?: string;
  clientToken?: string;
  creationTime: Date;
  status: ChangeSetStatus;
  statusReason?: string;
  executionStatus: ExecutionStatus;
  template: LoadedTemplate;
  parameters: Record<string, string>;
  capabilities: Capability[];
  roleArn?: string;
  tags: Tag[];
  notificationArns: string[];
  onStackFailure?: OnFailure;
  changes: PlannedChange[];
}

/** A resource change as computed by the planner, with what `IncludePropertyValues` can show. */
export interface PlannedChange {
  change: Change;
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/** The stack operation in flight, whose token every event carries. */
export interface Operation {
  kind: "CREATE" | "UPDATE" | "DELETE";
  token: string;
  caller?: Principal;
  fault?: FaultInjection;
}

export interface FaultInjection {
  reason: string;
  /** The rollback fails too: the stack ends in UPDATE_ROLLBACK_FAILED. */
  rollbackFails?: boolean;
}

/**
 * How long (seconds, on the injected clock) the in-progress phases last at least. With the default
 * 0 an operation still only advances when the engine is next called or ticked, like a real stack
 * that is never complete in the response that started it.
 */
export interface PhaseDurations {
  /** Each stack `*_IN_PROGRESS` status not listed in `statuses`. */
  default?: number;
  statuses?: Partial<Record<StackStatus, number>>;
  /** Each resource create/update/delete. */
  resource?: number;
  /** A change set's CREATE_IN_PROGRESS. */
  changeSet?: number;
}

/** What CloudFormation sends a custom resource's service token (camel-cased, without the response URL). */
export interface CustomResourceRequest {
  requestType: "Create" | "Update" | "Delete";
  requestId: string;
  serviceToken: string;
  stackId: string;
  logicalResourceId: string;
  physicalResourceId?: string;
  resourceType: string;
  /** All values are strings, as CloudFormation sends them. */
  resourceProperties: Record<string, unknown>;
  oldResourceProperties?: Record<string, unknown>;
  accountId: string;
  region: string;
  /** The sandbox resource whose ARN is the service token (e.g. the stack's own Lambda with its inline code). */
  serviceTokenResource?: {
    stackId: string;
    logicalResourceId: string;
    resourceType: string;
    physicalResourceId: string;
    properties: Record<string, unknown>;
  };
}

export interface CustomResourceResponse {
  status: "SUCCESS" | "FAILED";
  reason?: string;
  physicalResourceId?: string;
  data?: Record<string, unknown>;
}

export type CustomResourceHook = (request: CustomResourceRequest) => Promise<CustomResourceResponse>;
