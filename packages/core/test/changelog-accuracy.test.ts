import { describe, expect, it } from "vitest";
import { computeChangelog, computeChangelogFromBytes } from "../src/changelog/index";
import type { Template } from "../src/template/parse";

// The classes of error found by comparing the changelog with facts derived by hand from real
// vendor templates' history: each test is one class, on the smallest template that shows it.

const trust = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Principal: { AWS: { "Fn::Sub": "arn:${AWS::Partition}:iam::${VendorAccountId}:root" } },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "sts:ExternalId": { Ref: "ExternalId" } } },
    },
  ],
};

const policy = (PolicyName: string, Statement: unknown[]) => ({
  PolicyName,
  PolicyDocument: { Version: "2012-10-17", Statement },
});

function role(policies: unknown[], extra: Record<string, unknown> = {}): Template {
  return {
    Conditions: { ReadLogs: { "Fn::Equals": [{ Ref: "EnableLogs" }, "true"] } },
    Resources: {
      AuditRole: { Type: "AWS::IAM::Role", Properties: { AssumeRolePolicyDocument: trust, Policies: policies } },
      ...extra,
    },
  };
}

const allow = (Action: unknown, Resource: unknown = "*", more: Record<string, unknown> = {}) => ({
  Effect: "Allow",
  Action,
  Resource,
  ...more,
});
const guarded = (statement: unknown) => ({ "Fn::If": ["ReadLogs", statement, { Ref: "AWS::NoValue" }] });
const actions = (entries: Array<{ principal: string; action: string }>) =>
  entries.map((e) => `${e.principal} ${e.action}`);

describe("changelog accuracy", () => {
  it("reports a grant whose Fn::If guard changed as one modification with both guards", () => {
    const changelog = computeChangelog(
      role([policy("Read", [guarded(allow("logs:GetLogEvents"))])]),
      role([policy("Read", [allow("logs:GetLogEvents")])]),
    );

    expect(changelog.permissions.added).toEqual([]);
    expect(changelog.permissions.removed).toEqual([]);
    expect(changelog.permissions.modified).toEqual([
      expect.objectContaining({
        principal: "AuditRole",
        action: "logs:GetLogEvents",
        whenBefore: ["ReadLogs"],
        when: [],
        broadening: true,
      }),
    ]);
  });

  it("does not report an action as added when the role already holds it unconditionally", () => {
    const before = role([policy("Read", [allow("s3:GetObject")])]);
    const after = role([
      policy("Read", [allow("s3:GetObject")]),
      policy("Tagged", [allow("s3:GetObject", "*", { Condition: { StringEquals: { "aws:ResourceTag/x": "y" } } })]),
    ]);

    const changelog = computeChangelog(before, after);

    expect(changelog.permissions.added).toEqual([]);
    expect(changelog.permissionsBroadened).toBe(false);
  });

  it("does not report an action as removed while another policy still grants it to the same role", () => {
    const before = role([
      policy("Read", [allow("ec2:DescribeInstances")]),
      policy("Logs", [guarded(allow("ec2:DescribeInstances"))]),
    ]);
    const after = role([policy("Read", [allow("ec2:DescribeInstances")])]);

    expect(computeChangelog(before, after).permissions.removed).toEqual([]);
  });

  it("still reports a real removal, and an added action the role did not hold", () => {
    const before = role([policy("Read", [allow(["ec2:DescribeInstances", "s3:ListBucket"])])]);
    const after = role([policy("Read", [allow(["ec2:DescribeInstances", "iam:PassRole"])])]);

    const changelog = computeChangelog(before, after);

    expect(actions(changelog.permissions.removed)).toEqual(["AuditRole s3:ListBucket"]);
    expect(actions(changelog.permissions.added)).toEqual(["AuditRole iam:PassRole"]);
  });

  it("treats arn:aws:, !Sub arn:${AWS::Partition}: and !Join with AWS::Partition as the same ARN", () => {
    const plain = role([policy("Read", [allow("s3:GetObject", "arn:aws:s3:::logs-bucket/*")])]);
    const sub = role([
      policy("Read", [allow("s3:GetObject", { "Fn::Sub": "arn:${AWS::Partition}:s3:::logs-bucket/*" })]),
    ]);
    const join = role([
      policy("Read", [
        allow("s3:GetObject", { "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, ":s3:::logs-bucket/*"]] }),
      ]),
    ]);

    for (const [a, b] of [
      [plain, sub],
      [sub, join],
      [join, plain],
    ] as const) {
      const changelog = computeChangelog(a, b);
      expect(changelog.summary.total).toBe(0);
    }
  });

  it("keeps a real ARN change visible through the partition rewrite", () => {
    const before = role([policy("Read", [allow("s3:GetObject", "arn:aws:s3:::logs-bucket/*")])]);
    const after = role([policy("Read", [allow("s3:GetObject", { "Fn::Sub": "arn:${AWS::Partition}:s3:::*" })])]);

    const [modified] = computeChangelog(before, after).permissions.modified;

    expect(modified).toMatchObject({ action: "s3:GetObject", broadening: true });
  });

  it("compares the template a StackSet embeds in TemplateBody, naming its roles <StackSet>/<Role>", () => {
    const member = (actionList: string[]) =>
      JSON.stringify({ Resources: role([policy("Member", [allow(actionList)])]).Resources });
    const stackSet = (actionList: string[]): Template => ({
      Resources: {
        Members: {
          Type: "AWS::CloudFormation::StackSet",
          Properties: { StackSetName: "audit", PermissionModel: "SERVICE_MANAGED", TemplateBody: member(actionList) },
        },
      },
    });

    const changelog = computeChangelog(stackSet(["ec2:Describe*"]), stackSet(["ec2:Describe*", "iam:CreateUser"]));

    expect(actions(changelog.permissions.added)).toEqual(["Members/AuditRole iam:CreateUser"]);
    expect(changelog.permissionsBroadened).toBe(true);
  });

  it("finds nothing in pure reformatting (negative control): JSON to YAML, key and statement order", () => {
    const json = JSON.stringify(
      role([policy("Read", [allow(["s3:GetObject", "ec2:DescribeInstances"]), allow("logs:GetLogEvents")])]),
    );
    const yaml = `Conditions:
  ReadLogs: !Equals [!Ref EnableLogs, "true"]
Resources:
  AuditRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: Read
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - { Effect: Allow, Resource: "*", Action: logs:GetLogEvents }
              - { Effect: Allow, Resource: "*", Action: [ec2:DescribeInstances, s3:GetObject] }
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub "arn:aws:iam::\${VendorAccountId}:root" }
            Action: sts:AssumeRole
            Condition: { StringEquals: { sts:ExternalId: !Ref ExternalId } }
`;

    expect(computeChangelogFromBytes(json, yaml).summary.total).toBe(0);
  });
  it("ignores statement order in stand-alone policies and trust documents (AWS::IAM::ManagedPolicy, Role trust)", () => {
    const managed = (statements: unknown[], principals: unknown[]): Template => ({
      Resources: {
        AuditRole: {
          Type: "AWS::IAM::Role",
          Properties: {
            AssumeRolePolicyDocument: {
              Statement: principals.map((AWS) => ({ Effect: "Allow", Principal: { AWS }, Action: "sts:AssumeRole" })),
            },
          },
        },
        Read: {
          Type: "AWS::IAM::ManagedPolicy",
          Properties: { Roles: [{ Ref: "AuditRole" }], PolicyDocument: { Statement: statements } },
        },
      },
    });
    const [a, b] = [allow("ec2:CreateTags", "arn:aws:ec2:*:*:volume/*"), allow("ec2:DeregisterImage")];

    const changelog = computeChangelog(
      managed([a, b], ["111111111111", "222222222222"]),
      managed([b, a], ["222222222222", "111111111111"]),
    );

    expect(changelog.summary.total).toBe(0);
  });

  it("reads a StackSet's TemplateBody as written even when it mentions arn:aws:", () => {
    const body = (actionList: string[]) =>
      JSON.stringify({ Resources: role([policy("Member", [allow(actionList, "arn:aws:s3:::audit/*")])]).Resources });
    const stackSet = (actionList: string[]): Template => ({
      Resources: { Members: { Type: "AWS::CloudFormation::StackSet", Properties: { TemplateBody: body(actionList) } } },
    });

    const changelog = computeChangelog(stackSet(["s3:GetObject"]), stackSet(["s3:GetObject", "s3:PutObject"]));

    expect(actions(changelog.permissions.added)).toEqual(["Members/AuditRole s3:PutObject"]);
  });
});
