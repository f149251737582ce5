import type { IamRole, PolicyDocument } from "../../contract";
import { ResourceFailure } from "../errors";
import { partition, physicalName, randomString } from "../ids";
import type { ResourceRecord } from "../types";
import { optionalString, type ResourceContext, type ResourceProvider, stringList } from "./provider";

const NAME = /^[\w+=,.@-]{1,64}$/;
const PATH = /^\/(?:[\x21-\x7e]*\/)?$/;

export function policyDocument(value: unknown, property: string): PolicyDocument {
  const document = typeof value === "string" ? safeJson(value) : value;
  if (typeof document !== "object" || document === null || !("Statement" in document)) {
    throw new ResourceFailure(`Property ${property} cannot be empty.`);
  }
  return document as PolicyDocument;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ResourceFailure("Syntax errors in policy.");
  }
}

function inlinePolicies(value: unknown): Record<string, PolicyDocument> {
  if (value === undefined) return {};
  if (!Array.isArray(value)) throw new ResourceFailure("Value of property Policies must be of type List");
  const out: Record<string, PolicyDocument> = {};
  for (const item of value as Array<Record<string, unknown>>) {
    if (typeof item?.PolicyName !== "string") throw new ResourceFailure("Property PolicyName cannot be empty.");
    out[item.PolicyName] = policyDocument(item.PolicyDocument, "PolicyDocument");
  }
  return out;
}

function roleFromProperties(
  ctx: ResourceContext,
  name: string,
  properties: Record<string, unknown>,
  existing?: IamRole,
): IamRole {
  const path = optionalString(properties, "Path") ?? "/";
  if (!NAME.test(name))
    throw new ResourceFailure(
      `1 validation error detected: Value '${name}' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+`,
    );
  if (!PATH.test(path))
    throw new ResourceFailure(
      `1 validation error detected: Value '${path}' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)`,
    );
  const maxSessionDuration = Number(properties.MaxSessionDuration ?? 3600);
  if (!Number.isInteger(maxSessionDuration) || maxSessionDuration < 3600 || maxSessionDuration > 43_200) {
    throw new ResourceFailure("The requested MaxSessionDuration exceeds the allowed range of 3600 to 43200 seconds.");
  }
  const role: IamRole = {
    accountId: ctx.accountId,
    roleName: name,
    path,
    arn: `arn:${partition(ctx.region)}:iam::${ctx.accountId}:role${path}${name}`,
    roleId: existing?.roleId ?? `AROA${randomString(17)}`,
    assumeRolePolicyDocument: policyDocument(properties.AssumeRolePolicyDocument, "AssumeRolePolicyDocument"),
    inlinePolicies: inlinePolicies(properties.Policies),
    managedPolicyArns: stringList(properties, "ManagedPolicyArns"),
    maxSessionDuration,
    stackId: ctx.stackId,
  };
  const boundary = optionalString(properties, "PermissionsBoundary");
  if (boundary !== undefined) role.permissionsBoundaryArn = boundary;
  return role;
}

/** `AWS::IAM::Role`: a real role in the RoleStore, which STS and the policy evaluator then use. */
export const iamRole: ResourceProvider = {
  replacementProperties: ["RoleName", "Path"],
  nameProperty: "RoleName",
  async create(ctx, properties) {
    const name = optionalString(properties, "RoleName") ?? physicalName(ctx.stackName, ctx.logicalId, 64);
    if (ctx.roles.byName(ctx.accountId, name))
      throw new ResourceFailure(`Resource of type 'AWS::IAM::Role' with identifier '${name}' already exists.`);
    const role = roleFromProperties(ctx, name, properties);
    ctx.roles.put(role);
    return { physicalId: name, attributes: { Arn: role.arn, RoleId: role.roleId } };
  },
  async update(ctx, current, properties) {
    const existing = ctx.roles.byName(ctx.accountId, current.physicalId);
    if (!existing) throw new ResourceFailure(`The role with name ${current.physicalId} cannot be found.`);
    const next = roleFromProperties(ctx, current.physicalId, properties, existing);
    // Keep what other resources attached (AWS::IAM::Policy, ManagedPolicy.Roles); replace only what this resource declared.
    const declaredBefore = Object.keys(inlinePolicies(current.properties.Policies));
    for (const [name, document] of Object.entries(existing.inlinePolicies)) {
      if (!declaredBefore.includes(name) && !(name in next.inlinePolicies)) next.inlinePolicies[name] = document;
    }
    const managedBefore = stringList(current.properties, "ManagedPolicyArns");
    const attachedElsewhere = existing.managedPolicyArns.filter((arn) => !managedBefore.includes(arn));
    next.managedPolicyArns = [...new Set([...next.managedPolicyArns, ...attachedElsewhere])];
    ctx.roles.put(next);
    return { physicalId: current.physicalId, attributes: { Arn: next.arn, RoleId: next.roleId } };
  },
  async delete(ctx, current) {
    ctx.roles.delete(ctx.accountId, current.physicalId);
  },
};

function withRole(ctx: ResourceContext, roleName: string, change: (role: IamRole) => void, mustExist: boolean): void {
  const role = ctx.roles.byName(ctx.accountId, roleName);
  if (!role) {
    if (mustExist) throw new ResourceFailure(`The role with name ${roleName} cannot be found.`);
    return;
  }
  change(role);
  ctx.roles.put(role);
}

/** `AWS::IAM::ManagedPolicy`: stored in the RoleStore and attached to the roles it lists. */
export const iamManagedPolicy: ResourceProvider = {
  replacementProperties: ["ManagedPolicyName", "Path", "Description"],
  nameProperty: "ManagedPolicyName",
  async create(ctx, properties) {
    const name = optionalString(properties, "ManagedPolicyName") ?? physicalName(ctx.stackName, ctx.logicalId, 128);
    const path = optionalString(properties, "Path") ?? "/";
    const arn = `arn:${partition(ctx.region)}:iam::${ctx.accountId}:policy${path}${name}`;
    if (ctx.roles.store.managedPolicyNamed(ctx.accountId, name))
      throw new ResourceFailure(`A policy called ${name} already exists. Duplicate names are not allowed.`);
    ctx.roles.store.putManagedPolicy({ arn, document: policyDocument(properties.PolicyDocument, "PolicyDocument") });
    for (const roleName of stringList(properties, "Roles")) {
      withRole(
        ctx,
        roleName,
        (role) => void (role.managedPolicyArns = [...new Set([...role.managedPolicyArns, arn])]),
        true,
      );
    }
    return { physicalId: arn, attributes: { PolicyArn: arn, DefaultVersionId: "v1" } };
  },
  async update(ctx, current, properties) {
    const arn = current.physicalId;
    ctx.roles.store.putManagedPolicy({ arn, document: policyDocument(properties.PolicyDocument, "PolicyDocument") });
    const before = stringList(current.properties, "Roles");
    const after = stringList(properties, "Roles");
    for (const roleName of before.filter((r) => !after.includes(r))) {
      withRole(
        ctx,
        roleName,
        (role) => void (role.managedPolicyArns = role.managedPolicyArns.filter((a) => a !== arn)),
        false,
      );
    }
    for (const roleName of after) {
      withRole(
        ctx,
        roleName,
        (role) => void (role.managedPolicyArns = [...new Set([...role.managedPolicyArns, arn])]),
        true,
      );
    }
    return { physicalId: arn, attributes: current.attributes };
  },
  async delete(ctx, current) {
    for (const roleName of stringList(current.properties, "Roles")) {
      withRole(
        ctx,
        roleName,
        (role) => void (role.managedPolicyArns = role.managedPolicyArns.filter((a) => a !== current.physicalId)),
        false,
      );
    }
    ctx.roles.store.deleteManagedPolicy(current.physicalId);
  },
};

function attachInline(ctx: ResourceContext, properties: Record<string, unknown>): void {
  const name = optionalString(properties, "PolicyName");
  if (!name) throw new ResourceFailure("Property PolicyName cannot be empty.");
  const document = policyDocument(properties.PolicyDocument, "PolicyDocument");
  for (const roleName of stringList(properties, "Roles")) {
    withRole(ctx, roleName, (role) => void (role.inlinePolicies[name] = document), true);
  }
}

function detachInline(ctx: ResourceContext, record: ResourceRecord): void {
  const name = optionalString(record.properties, "PolicyName");
  if (!name) return;
  for (const roleName of stringList(record.properties, "Roles")) {
    withRole(ctx, roleName, (role) => void delete role.inlinePolicies[name], false);
  }
}

/** `AWS::IAM::Policy`: an inline policy put on each role it lists (users and groups are not simulated). */
export const iamPolicy: ResourceProvider = {
  replacementProperties: [],
  async create(ctx, properties) {
    attachInline(ctx, properties);
    return { physicalId: physicalName(ctx.stackName, ctx.logicalId, 128), attributes: {} };
  },
  async update(ctx, current, properties) {
    detachInline(ctx, current);
    attachInline(ctx, properties);
    return { physicalId: current.physicalId, attributes: current.attributes };
  },
  async delete(ctx, current) {
    detachInline(ctx, current);
  },
};
