import type { CustomResourceRequest, CustomResourceResponse, ResourceRecord } from "../types";
import type { RoleDirectory } from "./role-directory";

/** What a resource handler needs to know about where it runs. */
export interface ResourceContext {
  accountId: string;
  region: string;
  stackId: string;
  stackName: string;
  logicalId: string;
  type: string;
  roles: RoleDirectory;
  invokeCustomResource(
    request: Omit<
      CustomResourceRequest,
      "requestId" | "accountId" | "region" | "stackId" | "logicalResourceId" | "resourceType" | "serviceTokenResource"
    >,
  ): Promise<CustomResourceResponse>;
}

export interface Provisioned {
  physicalId: string;
  attributes: Record<string, unknown>;
}

/**
 * One resource type's create/update/delete. Handlers throw `ResourceFailure` (or any Error) to fail
 * the step; its message becomes the resource event's reason.
 */
export interface ResourceProvider {
  /** Top-level properties whose change needs a new physical resource. */
  readonly replacementProperties: readonly string[];
  /** The property that names the resource, when it can be custom-named (a replacement then fails). */
  readonly nameProperty?: string;
  create(ctx: ResourceContext, properties: Record<string, unknown>): Promise<Provisioned>;
  update(ctx: ResourceContext, current: ResourceRecord, properties: Record<string, unknown>): Promise<Provisioned>;
  delete(ctx: ResourceContext, current: ResourceRecord): Promise<void>;
  /** `Fn::GetAtt` for an attribute the handler did not record. */
  attribute?(record: ResourceRecord, attribute: string, ctx: { accountId: string; region: string }): unknown;
}

export function optionalString(properties: Record<string, unknown>, key: string): string | undefined {
  const value = properties[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string" && typeof value !== "number")
    throw new Error(`Value of property ${key} must be of type String`);
  return String(value);
}

export function stringList(properties: Record<string, unknown>, key: string): string[] {
  const value = properties[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`Value of property ${key} must be of type List of String`);
  return value.map(String);
}
