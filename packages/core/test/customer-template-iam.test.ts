import { describe, expect, it } from "vitest";
import { buildCustomerTemplate } from "../src/template/customer/build";
import { LOGICAL } from "../src/template/customer/policies";
import {
  acmeConfig,
  CUSTOMER_ACCOUNT,
  EXTERNAL_ID,
  REGION,
  UPDATER_ACCOUNT,
  VENDOR_ACCOUNT,
} from "./support/customer-fixture";
import { ADMINISTRATOR, decide, roleOf } from "./support/iam";
import { resolveTemplate } from "./support/resolve-template";

/**
 * The generated policies, resolved for one concrete customer stack, evaluated with a real IAM
 * policy evaluator: what the acceptance criteria promise the customer.
 */
const resolve = (parameters: Record<string, string> = {}) =>
  resolveTemplate(buildCustomerTemplate(acmeConfig), {
    accountId: CUSTOMER_ACCOUNT,
    region: REGION,
    stackName: "Acme-integration",
    parameters: { ExternalId: EXTERNAL_ID, ...parameters },
  });

const stack = resolve();
const updateRole = roleOf(stack, LOGICAL.updateRole);
const serviceRole = roleOf(stack, LOGICAL.serviceRole);
const integrationRole = roleOf(stack, LOGICAL.integrationRole);
const arnOf = (roleName: string) => `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${roleName}`;
const cfnStack = (name: string, region = REGION, account = CUSTOMER_ACCOUNT) =>
  `arn:aws:cloudformation:${region}:${account}:stack/${name}/4a9f1c70-a7b2-11ef-9d2e-0a1b2c3d4e5f`;

const executorSession = `arn:aws:sts::${UPDATER_ACCOUNT}:assumed-role/stackfleet-executor/run_01JDEMO`;
// The executor's own policy: it may assume only `<prefix>-*` roles, anywhere.
const executorPolicy = {
  name: "AssumePrefixedRoles",
  policy: {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["sts:AssumeRole", "sts:SetSourceIdentity"], Resource: "arn:aws:iam::*:role/Acme-*" },
    ],
  },
};

describe("update role permissions", () => {
  const session = `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/${updateRole.name}/run_01JDEMO`;
  const asUpdater = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    decide({
      principal: session,
      action,
      resource,
      resourceAccount: CUSTOMER_ACCOUNT,
      identityPolicies: updateRole.identityPolicies,
      context,
    });
  const withServiceRole = { "cloudformation:RoleArn": arnOf(serviceRole.name) };

  it("creates and executes change sets on stacks inside the prefix", async () => {
    expect(await asUpdater("cloudformation:CreateChangeSet", cfnStack("Acme-integration"), withServiceRole)).toBe(
      "Allowed",
    );
    for (const action of [
      "ExecuteChangeSet",
      "DescribeChangeSet",
      "DeleteChangeSet",
      "DescribeStacks",
      "DescribeStackEvents",
    ]) {
      expect(await asUpdater(`cloudformation:${action}`, cfnStack("Acme-integration"))).toBe("Allowed");
    }
  });

  it("cannot touch stacks outside the prefix, in other Regions or in other accounts", async () => {
    for (const target of [
      cfnStack("Other-stack"),
      cfnStack("AcmeX-stack"),
      cfnStack("Acme-integration", "us-east-1"),
      cfnStack("Acme-integration", REGION, VENDOR_ACCOUNT),
    ]) {
      expect(await asUpdater("cloudformation:CreateChangeSet", target, withServiceRole)).toBe("ImplicitlyDenied");
      expect(await asUpdater("cloudformation:ExecuteChangeSet", target)).toBe("ImplicitlyDenied");
      expect(await asUpdater("cloudformation:DescribeStacks", target)).toBe("ImplicitlyDenied");
    }
  });

  it("creates change sets only when they run as the stack's own service role", async () => {
    const create = (context: Record<string, string | string[]>) =>
      asUpdater("cloudformation:CreateChangeSet", cfnStack("Acme-integration"), context);
    expect(await create({})).toBe("ImplicitlyDenied");
    expect(await create({ "cloudformation:RoleArn": arnOf("Acme-integration-eu-west-1") })).toBe("ImplicitlyDenied");
    expect(await create({ "cloudformation:RoleArn": arnOf("Admin") })).toBe("ImplicitlyDenied");
  });

  it("creates change sets only from a template body, never from a URL, and never imports resources", async () => {
    const create = (context: Record<string, string | string[]>) =>
      asUpdater("cloudformation:CreateChangeSet", cfnStack("Acme-integration"), { ...withServiceRole, ...context });
    expect(await create({ "cloudformation:TemplateUrl": "https://evil.s3.amazonaws.com/t.yaml" })).toBe(
      "ImplicitlyDenied",
    );
    expect(await create({ "cloudformation:ImportResourceTypes": ["AWS::S3::Bucket"] })).toBe("ImplicitlyDenied");
  });

  it("cannot update or delete stacks directly, nor continue rollbacks", async () => {
    for (const action of ["UpdateStack", "DeleteStack", "CreateStack", "ContinueUpdateRollback", "SetStackPolicy"]) {
      expect(await asUpdater(`cloudformation:${action}`, cfnStack("Acme-integration"))).toBe("ImplicitlyDenied");
    }
  });

  it("has no IAM power of its own", async () => {
    const role = arnOf("Acme-integration-eu-west-1");
    for (const action of [
      "iam:PutRolePolicy",
      "iam:AttachRolePolicy",
      "iam:UpdateAssumeRolePolicy",
      "iam:CreateRole",
      "iam:DeleteRole",
    ]) {
      expect(await asUpdater(action, role)).toBe("ImplicitlyDenied");
    }
    expect(await asUpdater("iam:CreatePolicy", `arn:aws:iam::${CUSTOMER_ACCOUNT}:policy/Acme-x`)).toBe(
      "ImplicitlyDenied",
    );
  });

  it("passes only the service role, and only to CloudFormation", async () => {
    const pass = (role: string, service: string) =>
      asUpdater("iam:PassRole", arnOf(role), { "iam:PassedToService": service });
    expect(await pass(serviceRole.name, "cloudformation.amazonaws.com")).toBe("Allowed");
    expect(await pass(serviceRole.name, "lambda.amazonaws.com")).toBe("ImplicitlyDenied");
    expect(await pass(integrationRole.name, "cloudformation.amazonaws.com")).toBe("ImplicitlyDenied");
    expect(await pass("Acme-other", "cloudformation.amazonaws.com")).toBe("ImplicitlyDenied");
  });

  it("is held to the customer's permissions boundary", async () => {
    const boundaryArn = `arn:aws:iam::${CUSTOMER_ACCOUNT}:policy/ReadOnlyBoundary`;
    const bounded = roleOf(resolve({ PermissionsBoundaryArn: boundaryArn }), LOGICAL.updateRole);
    expect(bounded.boundaryArn).toBe(boundaryArn);
    const decision = await decide({
      principal: session,
      action: "cloudformation:CreateChangeSet",
      resource: cfnStack("Acme-integration"),
      resourceAccount: CUSTOMER_ACCOUNT,
      identityPolicies: bounded.identityPolicies,
      boundary: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "cloudformation:Describe*", Resource: "*" }],
      },
      context: withServiceRole,
    });
    expect(decision).toBe("ImplicitlyDenied");
  });
});

describe("update role trust", () => {
  const assume = (
    principal: string,
    context: Record<string, string>,
    identity = [executorPolicy],
    action = "sts:AssumeRole",
  ) =>
    decide({
      principal,
      action,
      resource: arnOf(updateRole.name),
      resourceAccount: CUSTOMER_ACCOUNT,
      identityPolicies: identity,
      resourcePolicy: updateRole.trust,
      context,
    });

  it("lets the executor role in with this integration's ExternalId", async () => {
    expect(await assume(executorSession, { "sts:ExternalId": EXTERNAL_ID })).toBe("Allowed");
  });

  it("refuses the executor without the ExternalId or with another one", async () => {
    expect(await assume(executorSession, {})).toBe("ImplicitlyDenied");
    expect(await assume(executorSession, { "sts:ExternalId": "int_01JOTHER0000000000000000000" })).toBe(
      "ImplicitlyDenied",
    );
  });

  it("refuses every other principal, even with the right ExternalId and full permissions of its own", async () => {
    const withId = { "sts:ExternalId": EXTERNAL_ID };
    const others = [
      `arn:aws:sts::${UPDATER_ACCOUNT}:assumed-role/stackfleet-api/session`,
      `arn:aws:iam::${UPDATER_ACCOUNT}:root`,
      `arn:aws:iam::${VENDOR_ACCOUNT}:root`,
      `arn:aws:sts::${VENDOR_ACCOUNT}:assumed-role/stackfleet-executor/run_01JDEMO`,
      `arn:aws:iam::${CUSTOMER_ACCOUNT}:user/admin`,
    ];
    for (const principal of others) {
      expect(await assume(principal, withId, [ADMINISTRATOR])).toBe("ImplicitlyDenied");
    }
  });

  it("lets the executor set a source identity, and nobody else", async () => {
    const context = { "sts:SourceIdentity": "run_01JDEMO" };
    expect(await assume(executorSession, context, [executorPolicy], "sts:SetSourceIdentity")).toBe("Allowed");
    const other = `arn:aws:sts::${UPDATER_ACCOUNT}:assumed-role/stackfleet-api/session`;
    expect(await assume(other, context, [ADMINISTRATOR], "sts:SetSourceIdentity")).toBe("ImplicitlyDenied");
  });
});

describe("EnableAutoUpdate=false", () => {
  const off = resolve({ EnableAutoUpdate: "false" });

  it("removes the update role and its output, so no principal can assume it", () => {
    expect(off.resources[LOGICAL.updateRole]).toBeUndefined();
    expect(off.outputs).not.toHaveProperty("UpdateRoleArn");
    expect(Object.values(off.resources).some((r) => r.Properties.RoleName === updateRole.name)).toBe(false);
  });

  it("registers the switch: no update role ARN and auto-update false", () => {
    expect(off.resources[LOGICAL.registration]?.Properties).toMatchObject({
      UpdateRoleArn: "",
      EnableAutoUpdate: "false",
    });
  });

  it("keeps the integration and service roles", () => {
    expect(off.resources[LOGICAL.integrationRole]).toBeDefined();
    expect(off.resources[LOGICAL.serviceRole]).toBeDefined();
  });
});

describe("integration role trust", () => {
  const vendorRole = `arn:aws:sts::${VENDOR_ACCOUNT}:assumed-role/acme-audit-worker/scan`;
  const assume = (principal: string, context: Record<string, string>) =>
    decide({
      principal,
      action: "sts:AssumeRole",
      resource: arnOf(integrationRole.name),
      resourceAccount: CUSTOMER_ACCOUNT,
      identityPolicies: [ADMINISTRATOR],
      resourcePolicy: integrationRole.trust,
      context,
    });

  it("requires the vendor account and the ExternalId", async () => {
    expect(await assume(vendorRole, { "sts:ExternalId": EXTERNAL_ID })).toBe("Allowed");
    expect(await assume(vendorRole, {})).toBe("ImplicitlyDenied");
    expect(await assume(vendorRole, { "sts:ExternalId": "wrong-id" })).toBe("ImplicitlyDenied");
    expect(await assume(`arn:aws:sts::444444444444:assumed-role/attacker/s`, { "sts:ExternalId": EXTERNAL_ID })).toBe(
      "ImplicitlyDenied",
    );
  });
});

describe("CloudFormation service role", () => {
  const assume = (principal: string, context: Record<string, string> = {}) =>
    decide({
      principal,
      action: "sts:AssumeRole",
      resource: arnOf(serviceRole.name),
      resourceAccount: CUSTOMER_ACCOUNT,
      identityPolicies: principal.includes(":") ? [ADMINISTRATOR] : [],
      resourcePolicy: serviceRole.trust,
      context,
    });

  it("is trusted by CloudFormation only, and not on another account's behalf", async () => {
    expect(await assume("cloudformation.amazonaws.com")).toBe("Allowed");
    expect(await assume("cloudformation.amazonaws.com", { "aws:SourceAccount": VENDOR_ACCOUNT })).toBe(
      "ImplicitlyDenied",
    );
    expect(await assume("lambda.amazonaws.com")).toBe("ImplicitlyDenied");
    expect(await assume(executorSession)).toBe("ImplicitlyDenied");
    expect(await assume(`arn:aws:iam::${CUSTOMER_ACCOUNT}:user/admin`)).toBe("ImplicitlyDenied");
  });
  // What it may do with a signed template: customer-template-boundary.test.ts.
});

describe("registration function role", () => {
  it("only writes its own logs", async () => {
    const role = roleOf(stack, LOGICAL.registrationRole);
    const session = `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/${role.name}/fn`;
    const as = (action: string, resource: string) =>
      decide({
        principal: session,
        action,
        resource,
        resourceAccount: CUSTOMER_ACCOUNT,
        identityPolicies: role.identityPolicies,
      });
    const own = `arn:aws:logs:${REGION}:${CUSTOMER_ACCOUNT}:log-group:/aws/lambda/Acme-registration:log-stream:2026/11/21`;
    expect(await as("logs:PutLogEvents", own)).toBe("Allowed");
    expect(
      await as(
        "logs:PutLogEvents",
        `arn:aws:logs:${REGION}:${CUSTOMER_ACCOUNT}:log-group:/aws/lambda/other:log-stream:x`,
      ),
    ).toBe("ImplicitlyDenied");
    expect(await as("sts:AssumeRole", arnOf(updateRole.name))).toBe("ImplicitlyDenied");
  });
});
