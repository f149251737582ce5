import { describe, expect, it } from "vitest";
import { computeChangelog } from "../src/changelog/index";
import type { Template } from "../src/template/parse";

// Small templates as long-form data: each test changes one thing about one role's permissions.
type Statement = Record<string, unknown>;

const allow = (Action: unknown, Resource: unknown, extra: Statement = {}): Statement => ({
  Effect: "Allow",
  Action,
  Resource,
  ...extra,
});
const deny = (Action: unknown, Resource: unknown, extra: Statement = {}): Statement => ({
  Effect: "Deny",
  Action,
  Resource,
  ...extra,
});

const vendorTrust = (extra: Statement = {}) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::${VendorAccountId}:root" } },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "sts:ExternalId": { Ref: "ExternalId" } } },
      ...extra,
    },
  ],
});

const policies = (byName: Record<string, unknown[]>) =>
  Object.entries(byName).map(([PolicyName, Statement]) => ({
    PolicyName,
    PolicyDocument: { Version: "2012-10-17", Statement },
  }));

function roleTemplate(
  byName: Record<string, unknown[]>,
  props: Record<string, unknown> = {},
  more: Template["Resources"] = {},
): Template {
  return {
    Conditions: { ReadCloudTrail: { "Fn::Equals": [{ Ref: "EnableCloudTrailRead" }, "true"] } },
    Resources: {
      AuditRole: {
        Type: "AWS::IAM::Role",
        Properties: {
          RoleName: "acme-audit",
          AssumeRolePolicyDocument: vendorTrust(),
          Policies: policies(byName),
          ...props,
        },
      },
      ...more,
    },
  };
}

const bucketArn = { "Fn::Sub": "arn:${AWS::Partition}:s3:::${AuditBucket}/*" };
const read = { ReadBuckets: [allow("s3:GetObject", bucketArn)] };

describe("permissions are compared per role, not per policy", () => {
  it("reports nothing when actions move between inline policies of the same role", () => {
    const before = roleTemplate({
      ReadBuckets: [allow(["s3:GetObject", "s3:ListBucket"], bucketArn)],
      ReadLogs: [allow("logs:GetLogEvents", "*")],
    });
    const after = roleTemplate({
      ReadBuckets: [allow("s3:GetObject", bucketArn)],
      ReadLogs: [allow(["logs:GetLogEvents"], "*"), allow("s3:ListBucket", bucketArn)],
    });

    const changelog = computeChangelog(before, after);

    expect(changelog.permissions).toEqual({ added: [], removed: [], modified: [] });
    expect(changelog.permissionsBroadened).toBe(false);
  });

  it("reports nothing when a statement moves from an inline policy to an AWS::IAM::Policy on the same role", () => {
    const before = roleTemplate({
      ReadBuckets: [allow("s3:GetObject", bucketArn)],
      ReadLogs: [allow("logs:GetLogEvents", "*")],
    });
    const after = roleTemplate(
      { ReadBuckets: [allow("s3:GetObject", bucketArn)] },
      {},
      {
        LogsPolicy: {
          Type: "AWS::IAM::Policy",
          Properties: {
            PolicyName: "logs",
            Roles: [{ Ref: "AuditRole" }],
            PolicyDocument: { Statement: [allow("logs:GetLogEvents", "*")] },
          },
        },
      },
    );

    expect(computeChangelog(before, after).summary).toMatchObject({
      permissionsAdded: 0,
      permissionsRemoved: 0,
      permissionsModified: 0,
    });
  });

  it("attributes a policy that names the role by its literal RoleName to that role", () => {
    const before = roleTemplate(read);
    const after = roleTemplate(
      read,
      {},
      {
        Extra: {
          Type: "AWS::IAM::Policy",
          Properties: {
            PolicyName: "extra",
            Roles: ["acme-audit"],
            PolicyDocument: { Statement: [allow("kms:Decrypt", "*")] },
          },
        },
      },
    );

    const [added] = computeChangelog(before, after).permissions.added;

    expect(added).toMatchObject({
      principal: "AuditRole",
      action: "kms:Decrypt",
      policies: ["Extra"],
      broadening: true,
    });
  });

  it("applies a policy resource's grants only while the conditional role it is attached to exists", () => {
    const before = roleTemplate(read);
    const after = roleTemplate(
      read,
      {},
      {
        Extra: {
          Type: "AWS::IAM::Policy",
          Properties: {
            PolicyName: "extra",
            Roles: [{ Ref: "AuditRole" }],
            PolicyDocument: { Statement: [allow("kms:Decrypt", "*")] },
          },
        },
      },
    );
    const conditional = (t: Template): Template => ({
      ...t,
      Resources: { ...t.Resources, AuditRole: { ...t.Resources.AuditRole!, Condition: "ReadCloudTrail" } },
    });

    expect(computeChangelog(conditional(before), conditional(after)).permissions.added[0]).toMatchObject({
      action: "kms:Decrypt",
      when: ["ReadCloudTrail"],
    });
  });

  it("counts a template-defined managed policy's statements on the roles it is attached to", () => {
    const managed = (statements: unknown[]) => ({
      Type: "AWS::IAM::ManagedPolicy",
      Properties: { PolicyDocument: { Statement: statements } },
    });
    const before = roleTemplate(
      read,
      { ManagedPolicyArns: [{ Ref: "Shared" }] },
      { Shared: managed([allow("ec2:DescribeInstances", "*")]) },
    );
    const after = roleTemplate(
      read,
      { ManagedPolicyArns: [{ Ref: "Shared" }] },
      { Shared: managed([allow(["ec2:DescribeInstances", "ec2:DescribeVpcs"], "*")]) },
    );

    const changelog = computeChangelog(before, after);

    expect(changelog.permissions.added.map((p) => [p.principal, p.action, p.policies])).toEqual([
      ["AuditRole", "ec2:DescribeVpcs", ["Shared"]],
    ]);
    expect(changelog.managedPolicies).toEqual({ attached: [], detached: [] });
  });
});

describe("intrinsics stay symbolic and compare by meaning", () => {
  it("treats !Sub and the equivalent !Join of an ARN as the same resource", () => {
    const joined = { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":s3:::", { Ref: "AuditBucket" }, "/*"]] };
    const changelog = computeChangelog(
      roleTemplate(read),
      roleTemplate({ ReadBuckets: [allow("s3:GetObject", joined)] }),
    );

    expect(changelog.permissions).toEqual({ added: [], removed: [], modified: [] });
  });

  it("renders resource ARNs with their references", () => {
    const changelog = computeChangelog(roleTemplate({}), roleTemplate(read));

    expect(changelog.permissions.added[0]!.scopes).toEqual([
      { resources: ["arn:${AWS::Partition}:s3:::${AuditBucket}/*"], notResources: [], conditions: null },
    ]);
  });
});

describe("Fn::If-guarded statements", () => {
  const guarded = (statement: Statement) => ({ "Fn::If": ["ReadCloudTrail", statement, { Ref: "AWS::NoValue" }] });

  it("reports a newly guarded statement with the condition it applies under", () => {
    const after = roleTemplate({ ...read, Trail: [guarded(allow("cloudtrail:LookupEvents", "*"))] });

    const [added] = computeChangelog(roleTemplate(read), after).permissions.added;

    expect(added).toMatchObject({
      action: "cloudtrail:LookupEvents",
      when: ["ReadCloudTrail"],
      broadening: true,
      wildcard: true,
    });
  });

  it("expands an Fn::If inside a statement into both branches", () => {
    const resource = {
      "Fn::If": [
        "ReadCloudTrail",
        "*",
        { "Fn::Sub": "arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/acme" },
      ],
    };
    const changelog = computeChangelog(
      roleTemplate(read),
      roleTemplate({ ...read, Trail: [allow("cloudtrail:GetTrailStatus", resource)] }),
    );

    expect(changelog.permissions.added.map((p) => [p.when, p.scopes[0]!.resources])).toEqual([
      [["!ReadCloudTrail"], ["arn:${AWS::Partition}:cloudtrail:*:${AWS::AccountId}:trail/acme"]],
      [["ReadCloudTrail"], ["*"]],
    ]);
  });

  it("treats a statement present in both branches as unconditional", () => {
    const both = { "Fn::If": ["ReadCloudTrail", allow("s3:GetObject", bucketArn), allow("s3:GetObject", bucketArn)] };

    const changelog = computeChangelog(roleTemplate(read), roleTemplate({ ReadBuckets: [both] }));

    expect(changelog.permissions).toEqual({ added: [], removed: [], modified: [] });
  });

  it("reports an unconditional grant becoming conditional as one modification that does not broaden", () => {
    const changelog = computeChangelog(
      roleTemplate(read),
      roleTemplate({ ReadBuckets: [guarded(allow("s3:GetObject", bucketArn))] }),
    );

    expect(changelog.permissions.removed).toEqual([]);
    expect(changelog.permissions.added).toEqual([]);
    expect(changelog.permissions.modified).toEqual([
      expect.objectContaining({ action: "s3:GetObject", whenBefore: [], when: ["ReadCloudTrail"], broadening: false }),
    ]);
    expect(changelog.permissionsBroadened).toBe(false);
  });

  it("flags removing the Condition that makes a role exist only while auto-update is enabled", () => {
    const guardedRole = (template: Template): Template => ({
      ...template,
      Resources: {
        ...template.Resources,
        AuditRole: { ...template.Resources.AuditRole!, Condition: "AutoUpdateEnabled" },
      },
    });

    const changelog = computeChangelog(guardedRole(roleTemplate(read)), roleTemplate(read));

    expect(changelog.permissions.added).toEqual([]);
    expect(changelog.permissions.modified[0]).toMatchObject({
      action: "s3:GetObject",
      whenBefore: ["AutoUpdateEnabled"],
      when: [],
      broadening: true,
      reasons: expect.arrayContaining(["applies under fewer template conditions"]),
    });
    expect(changelog.trust.find((t) => t.change === "added")).toMatchObject({ when: [], broadening: true });
    expect(changelog.resources.modified[0]!.attributes).toEqual([
      { name: "Condition", before: "AutoUpdateEnabled", after: null },
    ]);
  });

  it("applies a resource-level Condition to every grant of that role", () => {
    const before = roleTemplate(read);
    const after = {
      ...before,
      Resources: { ...before.Resources, AuditRole: { ...before.Resources.AuditRole!, Condition: "ReadCloudTrail" } },
    };

    const changelog = computeChangelog(before, after);

    expect(changelog.permissions.modified[0]).toMatchObject({
      action: "s3:GetObject",
      whenBefore: [],
      when: ["ReadCloudTrail"],
      broadening: false,
    });
  });
});

describe("broadening", () => {
  const broadened = (before: Template, after: Template) => computeChangelog(before, after).permissionsBroadened;

  it("flags an action pattern that covers more (s3:GetObject → s3:Get*) but not the reverse", () => {
    const wide = roleTemplate({ ReadBuckets: [allow("s3:Get*", bucketArn)] });

    expect(broadened(roleTemplate(read), wide)).toBe(true);
    expect(computeChangelog(roleTemplate(read), wide).permissions.added[0]).toMatchObject({
      action: "s3:Get*",
      wildcard: true,
    });
    expect(broadened(wide, roleTemplate(read))).toBe(false);
  });

  it("flags a service-wide wildcard and all resources", () => {
    const changelog = computeChangelog(roleTemplate(read), roleTemplate({ ...read, Admin: [allow("iam:*", "*")] }));

    expect(changelog.permissions.added[0]).toMatchObject({ action: "iam:*", wildcard: true, broadening: true });
    expect(changelog.permissions.added[0]!.reasons).toEqual(
      expect.arrayContaining(["wildcard action iam:*", "all resources (*)"]),
    );
  });

  it("flags a widened resource scope and not a narrowed one", () => {
    const logsOnly = roleTemplate({
      ReadBuckets: [allow("s3:GetObject", { "Fn::Sub": "arn:${AWS::Partition}:s3:::${AuditBucket}/logs/*" })],
    });

    const widened = computeChangelog(logsOnly, roleTemplate(read));
    expect(widened.permissions.modified[0]).toMatchObject({
      action: "s3:GetObject",
      resourcesAdded: ["arn:${AWS::Partition}:s3:::${AuditBucket}/*"],
      resourcesRemoved: ["arn:${AWS::Partition}:s3:::${AuditBucket}/logs/*"],
      broadening: true,
    });
    expect(broadened(roleTemplate(read), logsOnly)).toBe(false);
  });

  it("flags a removed Allow condition and not an added one", () => {
    const scoped = roleTemplate({
      ReadBuckets: [allow("s3:GetObject", bucketArn, { Condition: { Bool: { "aws:SecureTransport": "true" } } })],
    });

    const loosened = computeChangelog(scoped, roleTemplate(read));
    expect(loosened.permissions.modified[0]).toMatchObject({ conditionsChanged: true, broadening: true });
    expect(broadened(roleTemplate(read), scoped)).toBe(false);
  });

  it("flags a removed or narrowed Deny, not an added one", () => {
    const guard = roleTemplate({ ...read, Guard: [deny("s3:DeleteObject", "*")] });
    const narrowGuard = roleTemplate({ ...read, Guard: [deny("s3:DeleteObject", bucketArn)] });

    expect(computeChangelog(guard, roleTemplate(read)).permissions.removed[0]).toMatchObject({
      effect: "Deny",
      broadening: true,
      reasons: ["Deny removed"],
    });
    expect(computeChangelog(guard, narrowGuard).permissions.modified[0]).toMatchObject({
      effect: "Deny",
      broadening: true,
    });
    expect(broadened(roleTemplate(read), guard)).toBe(false);
  });

  it("flags NotAction as every other action", () => {
    const changelog = computeChangelog(
      roleTemplate(read),
      roleTemplate({ ...read, Almost: [{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }] }),
    );

    expect(changelog.permissions.added[0]).toMatchObject({
      action: "iam:*",
      notAction: true,
      wildcard: true,
      broadening: true,
    });
  });

  it("treats IAM action names case-insensitively", () => {
    expect(
      computeChangelog(roleTemplate(read), roleTemplate({ ReadBuckets: [allow("S3:getobject", bucketArn)] })).summary
        .total,
    ).toBe(1);
    expect(
      computeChangelog(roleTemplate(read), roleTemplate({ ReadBuckets: [allow("S3:getobject", bucketArn)] }))
        .permissions.added,
    ).toEqual([]);
  });
});

describe("trust policies", () => {
  it("flags a removed sts:ExternalId condition", () => {
    const trust = { Version: "2012-10-17", Statement: [{ ...vendorTrust().Statement[0]!, Condition: undefined }] };
    const changelog = computeChangelog(roleTemplate(read), roleTemplate(read, { AssumeRolePolicyDocument: trust }));

    expect(changelog.trust).toEqual([
      expect.objectContaining({
        change: "modified",
        role: "AuditRole",
        action: "sts:AssumeRole",
        broadening: true,
        reasons: ["trust conditions removed or loosened", "sts:ExternalId condition removed"],
      }),
    ]);
    expect(changelog.permissionsBroadened).toBe(true);
  });

  it("flags a newly trusted principal, not a removed one", () => {
    const two = vendorTrust({
      Principal: { AWS: [{ "Fn::Sub": "arn:${AWS::Partition}:iam::${VendorAccountId}:root" }, "111122223333"] },
    });

    const added = computeChangelog(roleTemplate(read), roleTemplate(read, { AssumeRolePolicyDocument: two }));
    expect(added.trust).toEqual([
      expect.objectContaining({
        change: "added",
        trustedPrincipal: "AWS:arn:aws:iam::111122223333:root",
        broadening: true,
      }),
    ]);

    const removed = computeChangelog(roleTemplate(read, { AssumeRolePolicyDocument: two }), roleTemplate(read));
    expect(removed.trust).toEqual([expect.objectContaining({ change: "removed", broadening: false })]);
    expect(removed.permissionsBroadened).toBe(false);
  });

  it("calls out a trust policy opened to any principal", () => {
    const anyone = vendorTrust({ Principal: { AWS: "*" } });

    const [change] = computeChangelog(
      roleTemplate(read),
      roleTemplate(read, { AssumeRolePolicyDocument: anyone }),
    ).trust.filter((t) => t.change === "added");

    expect(change).toMatchObject({
      trustedPrincipal: "AWS:*",
      broadening: true,
      reasons: ["new trusted principal or action", "trusts any principal (*)"],
    });
  });
});

describe("managed policies and boundaries", () => {
  const readOnly = { "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess" };

  it("flags an attached managed policy and lists a detached one", () => {
    const attached = computeChangelog(roleTemplate(read), roleTemplate(read, { ManagedPolicyArns: [readOnly] }));
    expect(attached.managedPolicies.attached).toEqual([
      {
        principal: "AuditRole",
        policyArn: "arn:${AWS::Partition}:iam::aws:policy/ReadOnlyAccess",
        when: [],
        broadening: true,
      },
    ]);
    expect(attached.permissionsBroadened).toBe(true);

    const detached = computeChangelog(roleTemplate(read, { ManagedPolicyArns: [readOnly] }), roleTemplate(read));
    expect(detached.managedPolicies.detached).toHaveLength(1);
    expect(detached.permissionsBroadened).toBe(false);
  });

  it("flags a removed permissions boundary, not an added one", () => {
    const bounded = roleTemplate(read, { PermissionsBoundary: { Ref: "PermissionsBoundaryArn" } });

    expect(computeChangelog(bounded, roleTemplate(read)).boundaries).toEqual([
      { role: "AuditRole", before: "${PermissionsBoundaryArn}", after: null, broadening: true },
    ]);
    expect(computeChangelog(roleTemplate(read), bounded).permissionsBroadened).toBe(false);
  });
});

describe("renamed logical ids", () => {
  it("reports a role renamed with identical content as a rename and its permissions as unchanged", () => {
    const before = roleTemplate(
      read,
      {},
      {
        Out: {
          Type: "AWS::SSM::Parameter",
          Properties: { Type: "String", Value: { "Fn::GetAtt": ["AuditRole", "Arn"] } },
        },
      },
    );
    const { AuditRole, ...rest } = before.Resources;
    const after: Template = {
      ...before,
      Resources: {
        ...rest,
        ReadOnlyRole: AuditRole!,
        Out: { ...rest.Out!, Properties: { Type: "String", Value: { "Fn::GetAtt": ["ReadOnlyRole", "Arn"] } } },
      },
    };

    const changelog = computeChangelog(before, after);

    expect(changelog.resources.renamed).toEqual([
      { from: "AuditRole", to: "ReadOnlyRole", type: "AWS::IAM::Role", properties: [], matchedBy: "content" },
    ]);
    expect(changelog.resources).toMatchObject({ added: [], removed: [], modified: [] });
    expect(changelog.permissions).toEqual({ added: [], removed: [], modified: [] });
    expect(changelog.trust).toEqual([]);
  });
});
