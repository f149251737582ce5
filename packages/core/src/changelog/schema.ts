import * as z from "zod";

/**
 * The changelog between two template versions as stable JSON (documented in the root README, "Changelog JSON").
 * Stored with each version and served to the dashboard, so additions must be backwards
 * compatible; anything else bumps `schemaVersion`.
 */

const Effect = z.enum(["Allow", "Deny"]);

/**
 * Template conditions that must hold for an entry to apply, from resource `Condition`s and
 * `Fn::If` branches: `"EnableAutoUpdate"` or its negation `"!EnableAutoUpdate"`. Empty = always.
 */
const When = z.array(z.string());

/** Intrinsics are kept symbolic: `!Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"` stays as written. */
export const PermissionScope = z.object({
  resources: z.array(z.string()),
  notResources: z.array(z.string()),
  /** IAM `Condition` block with sorted keys and value lists, or null when unconditional. */
  conditions: z.record(z.string(), z.record(z.string(), z.array(z.string()))).nullable(),
});
export type PermissionScope = z.infer<typeof PermissionScope>;

const PermissionKey = {
  /** Role logical id in the template, or `role:<name>`, `user:<name>`, `group:<name>` outside it. */
  principal: z.string(),
  effect: Effect,
  /** One action (or action pattern) as written, e.g. `s3:GetObject`, `s3:Get*`. */
  action: z.string(),
  /** True when the statement used `NotAction`: the grant covers everything except `action`. */
  notAction: z.boolean(),
  when: When,
};

export const PermissionEntry = z.object({
  ...PermissionKey,
  /** Where the grant comes from: `AuditRole/ReadBuckets` (inline) or a policy resource id. */
  policies: z.array(z.string()),
  scopes: z.array(PermissionScope),
  wildcard: z.boolean(),
  broadening: z.boolean(),
  reasons: z.array(z.string()),
});
export type PermissionEntry = z.infer<typeof PermissionEntry>;

export const PermissionModification = z.object({
  ...PermissionKey,
  /**
   * The template conditions the grant applied under before, when they changed (an `Fn::If`
   * branch or a resource `Condition` moved); absent when only the IAM scope changed.
   */
  whenBefore: When.optional(),
  policies: z.array(z.string()),
  before: z.array(PermissionScope),
  after: z.array(PermissionScope),
  resourcesAdded: z.array(z.string()),
  resourcesRemoved: z.array(z.string()),
  conditionsChanged: z.boolean(),
  wildcard: z.boolean(),
  broadening: z.boolean(),
  reasons: z.array(z.string()),
});
export type PermissionModification = z.infer<typeof PermissionModification>;

export const TrustChange = z.object({
  change: z.enum(["added", "removed", "modified"]),
  /** Logical id of the role whose trust policy changed. */
  role: z.string(),
  effect: Effect,
  action: z.string(),
  /** `AWS:<arn or account>`, `Service:<service>`, `Federated:<provider>` or `*`. */
  trustedPrincipal: z.string(),
  when: When,
  conditionsBefore: z.array(PermissionScope.shape.conditions).nullable(),
  conditionsAfter: z.array(PermissionScope.shape.conditions).nullable(),
  broadening: z.boolean(),
  reasons: z.array(z.string()),
});
export type TrustChange = z.infer<typeof TrustChange>;

/** A managed policy not defined in the template (AWS-managed, existing, or from a parameter). */
export const ManagedPolicyAttachment = z.object({
  principal: z.string(),
  policyArn: z.string(),
  when: When,
  /** Attached where the previous version did not already attach it (under fewer conditions). */
  broadening: z.boolean(),
});
export type ManagedPolicyAttachment = z.infer<typeof ManagedPolicyAttachment>;

export const BoundaryChange = z.object({
  role: z.string(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  broadening: z.boolean(),
});
export type BoundaryChange = z.infer<typeof BoundaryChange>;

export const Replacement = z.enum(["always", "conditional", "never"]);
export type Replacement = z.infer<typeof Replacement>;

/** A value as written in the template (long-form intrinsics), null where it is absent. */
const ValueChange = z.object({ name: z.string(), before: z.unknown(), after: z.unknown() });

export const ResourceModification = z.object({
  logicalId: z.string(),
  type: z.string(),
  replacement: Replacement,
  properties: z.array(ValueChange.extend({ replacement: Replacement })),
  /** Resource attributes outside `Properties`: Condition, DependsOn, DeletionPolicy, Metadata… */
  attributes: z.array(ValueChange),
});
export type ResourceModification = z.infer<typeof ResourceModification>;

export const ResourceRename = z.object({
  from: z.string(),
  to: z.string(),
  type: z.string(),
  /** Properties that also changed (empty when only the logical id did). */
  properties: z.array(ValueChange),
  /** How the two were matched: identical content, or the same physical name property. */
  matchedBy: z.enum(["content", "name"]),
});
export type ResourceRename = z.infer<typeof ResourceRename>;

const NamedValue = z.object({ name: z.string(), value: z.unknown() });
const Section = z.object({
  added: z.array(NamedValue),
  removed: z.array(NamedValue),
  changed: z.array(ValueChange),
});

export const Changelog = z.object({
  schemaVersion: z.literal(1),
  /** Labels of the compared versions (e.g. semver or file names), null when not given. */
  from: z.string().nullable(),
  to: z.string().nullable(),
  permissionsBroadened: z.boolean(),
  summary: z.object({
    total: z.number().int(),
    permissionsAdded: z.number().int(),
    permissionsRemoved: z.number().int(),
    permissionsModified: z.number().int(),
    trustChanges: z.number().int(),
    managedPoliciesAttached: z.number().int(),
    managedPoliciesDetached: z.number().int(),
    boundaryChanges: z.number().int(),
    resourcesAdded: z.number().int(),
    resourcesRemoved: z.number().int(),
    resourcesModified: z.number().int(),
    resourcesRenamed: z.number().int(),
    resourcesReplaced: z.number().int(),
    parametersChanged: z.number().int(),
    conditionsChanged: z.number().int(),
    outputsChanged: z.number().int(),
    otherChanges: z.number().int(),
  }),
  permissions: z.object({
    added: z.array(PermissionEntry),
    removed: z.array(PermissionEntry),
    modified: z.array(PermissionModification),
  }),
  trust: z.array(TrustChange),
  managedPolicies: z.object({
    attached: z.array(ManagedPolicyAttachment),
    detached: z.array(ManagedPolicyAttachment),
  }),
  boundaries: z.array(BoundaryChange),
  resources: z.object({
    added: z.array(z.object({ logicalId: z.string(), type: z.string(), condition: z.string().nullable() })),
    removed: z.array(z.object({ logicalId: z.string(), type: z.string(), retained: z.boolean() })),
    modified: z.array(ResourceModification),
    renamed: z.array(ResourceRename),
  }),
  parameters: Section,
  conditions: Section,
  outputs: Section,
  /** Description, Mappings, Metadata, Transform and unknown top-level sections. */
  other: z.array(ValueChange),
});
export type Changelog = z.infer<typeof Changelog>;
