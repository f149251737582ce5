import { describe, expect, it } from "vitest";
import { buildCustomerTemplate } from "../src/template/customer/build";
import { LOGICAL } from "../src/template/customer/policies";
import { acmeConfig, CUSTOMER_ACCOUNT, EXTERNAL_ID, REGION } from "./support/customer-fixture";
import { ADMINISTRATOR, type Decision, decide, type PolicyDocument, roleOf } from "./support/iam";
import { resolveTemplate, STACK_UUID } from "./support/resolve-template";

/**
 * The blast radius of a signed template (issue 11 item 5), with a real IAM evaluator. CloudFormation
 * acts with the service role, so a malicious version can do what that role may, and give the roles
 * it creates what the vendor boundary lets them. Each expectation names the statement it proves:
 * widening that statement flips the decision.
 */
const stack = resolveTemplate(buildCustomerTemplate(acmeConfig), {
  accountId: CUSTOMER_ACCOUNT,
  region: REGION,
  stackName: "Acme-integration",
  parameters: { ExternalId: EXTERNAL_ID },
});
const serviceRole = roleOf(stack, LOGICAL.serviceRole);
const updateRole = roleOf(stack, LOGICAL.updateRole);
const integrationRole = roleOf(stack, LOGICAL.integrationRole);
const registrationRole = roleOf(stack, LOGICAL.registrationRole);
const boundaryResource = stack.resources[LOGICAL.boundary]!;
const boundary = boundaryResource.Properties.PolicyDocument as PolicyDocument;

const iam = (resource: string) => `arn:aws:iam::${CUSTOMER_ACCOUNT}:${resource}`;
const role = (name: string) => iam(`role/${name}`);
const BOUNDARY = iam(`policy/Acme-boundary-${REGION}-${STACK_UUID}`);
// What the service role may create under the prefix: another stack's, or an attacker's, boundary name.
const LOOK_ALIKE = iam(`policy/Acme-boundary-${REGION}-11111111-2222-4333-8444-555555555555`);
const ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess";
const withBoundary = (arn = BOUNDARY) => ({ "iam:PermissionsBoundary": arn });
type Context = Record<string, string | string[]>;

/** The service role's own policy only: each of its statements decides alone. */
const asService = (action: string, resource: string, context: Context = {}) =>
  decide({
    principal: `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/${serviceRole.name}/AWSCloudFormation`,
    action,
    resource,
    resourceAccount: CUSTOMER_ACCOUNT,
    identityPolicies: serviceRole.identityPolicies,
    context,
  });

/** What a malicious version could create: a `<prefix>-*` role holding AdministratorAccess, bounded. */
const asBoundedAdmin = (action: string, resource: string, context: Context = {}) =>
  decide({
    principal: `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/Acme-evil/session`,
    action,
    resource,
    resourceAccount: CUSTOMER_ACCOUNT,
    identityPolicies: [ADMINISTRATOR],
    boundary,
    context,
  });

describe("the vendor boundary", () => {
  it("is published with the template under the prefix and carried by every role of the stack", () => {
    expect(boundaryResource.Type).toBe("AWS::IAM::ManagedPolicy");
    for (const r of [serviceRole, updateRole, integrationRole, registrationRole]) expect(r.boundaryArn).toBe(BOUNDARY);
  });

  it("lets a bounded role do nothing in IAM outside the prefix, nor assume other roles", async () => {
    expect(await asBoundedAdmin("iam:CreateRole", role("Admin"), withBoundary())).toBe("ImplicitlyDenied");
    expect(await asBoundedAdmin("iam:CreateUser", iam("user/Acme-user"), withBoundary())).toBe("ImplicitlyDenied");
    expect(await asBoundedAdmin("iam:CreateAccessKey", iam("user/admin"))).toBe("ImplicitlyDenied");
    expect(await asBoundedAdmin("iam:UpdateAssumeRolePolicy", role("OrganizationAccountAccessRole"))).toBe(
      "ImplicitlyDenied",
    );
    expect(await asBoundedAdmin("sts:AssumeRole", role("OrganizationAccountAccessRole"))).toBe("ImplicitlyDenied");
    expect(await asBoundedAdmin("organizations:LeaveOrganization", "*")).toBe("ImplicitlyDenied");
  });

  it("stops a bounded role from creating or widening a role without the boundary (DenyRolesOutsideTheBoundary)", async () => {
    for (const context of [{}, withBoundary(iam("policy/Acme-wide"))]) {
      expect(await asBoundedAdmin("iam:CreateRole", role("Acme-y"), context)).toBe("ExplicitlyDenied");
      expect(
        await asBoundedAdmin("iam:AttachRolePolicy", role("Acme-y"), { ...context, "iam:PolicyARN": ADMIN_POLICY }),
      ).toBe("ExplicitlyDenied");
      expect(await asBoundedAdmin("iam:PutRolePolicy", role("Acme-y"), context)).toBe("ExplicitlyDenied");
      expect(await asBoundedAdmin("iam:PutRolePermissionsBoundary", role("Acme-y"), context)).toBe("ExplicitlyDenied");
    }
  });

  it("stops a bounded role from using a look-alike boundary of the prefix (DenyRolesOutsideTheBoundary)", async () => {
    const lookAlike = withBoundary(LOOK_ALIKE);
    expect(await asBoundedAdmin("iam:CreatePolicy", LOOK_ALIKE)).toBe("Allowed");
    for (const action of ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"]) {
      expect(`${action}: ${await asBoundedAdmin(action, role("Acme-y"), lookAlike)}`).toBe(
        `${action}: ExplicitlyDenied`,
      );
    }
  });

  it("stops a bounded role from changing the update or service role (DenyChangingTheUpdateAndServiceRoles)", async () => {
    for (const target of [updateRole.name, serviceRole.name]) {
      expect(await asBoundedAdmin("iam:PutRolePolicy", role(target), withBoundary())).toBe("ExplicitlyDenied");
      expect(await asBoundedAdmin("iam:UpdateAssumeRolePolicy", role(target))).toBe("ExplicitlyDenied");
    }
  });

  it("stops a bounded role from changing the boundary or removing it (DenyChangingTheBoundary, DenyRemovingBoundaries)", async () => {
    for (const action of ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicy"]) {
      expect(await asBoundedAdmin(action, BOUNDARY)).toBe("ExplicitlyDenied");
      // The guard names this stack's boundary exactly: other `Acme-*` policies stay the prefix's to manage.
      expect(await asBoundedAdmin(action, LOOK_ALIKE)).toBe("Allowed");
    }
    expect(await asBoundedAdmin("iam:DeleteRolePermissionsBoundary", role("Acme-y"), withBoundary())).toBe(
      "ExplicitlyDenied",
    );
  });

  it("still lets the roles do their jobs: product reads, change sets, bounded prefixed roles", async () => {
    expect(await asBoundedAdmin("s3:GetBucketPolicy", "arn:aws:s3:::customer-bucket")).toBe("Allowed");
    expect(await asBoundedAdmin("iam:GetAccountAuthorizationDetails", "*")).toBe("Allowed");
    expect(await asBoundedAdmin("iam:CreateRole", role("Acme-y"), withBoundary())).toBe("Allowed");
    const updateSession = `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/${updateRole.name}/run`;
    const asUpdater = (action: string, resource: string, context: Context) =>
      decide({
        principal: updateSession,
        action,
        resource,
        resourceAccount: CUSTOMER_ACCOUNT,
        identityPolicies: updateRole.identityPolicies,
        boundary,
        context,
      });
    const cfnStack = `arn:aws:cloudformation:${REGION}:${CUSTOMER_ACCOUNT}:stack/Acme-integration/1`;
    expect(
      await asUpdater("cloudformation:CreateChangeSet", cfnStack, { "cloudformation:RoleArn": role(serviceRole.name) }),
    ).toBe("Allowed");
    expect(
      await asUpdater("iam:PassRole", role(serviceRole.name), {
        "iam:PassedToService": "cloudformation.amazonaws.com",
      }),
    ).toBe("Allowed");
  });
});

describe("the CloudFormation service role", () => {
  it("can apply this template's own roles and function: every call it makes, with the boundary", async () => {
    for (const r of [integrationRole, registrationRole]) {
      const bounded = withBoundary(r.boundaryArn);
      expect(await asService("iam:CreateRole", role(r.name), bounded)).toBe("Allowed");
      expect(await asService("iam:PutRolePermissionsBoundary", role(r.name), bounded)).toBe("Allowed");
      for (const _ of r.identityPolicies)
        expect(await asService("iam:PutRolePolicy", role(r.name), bounded)).toBe("Allowed");
      for (const arn of r.managedPolicyArns) {
        expect(await asService("iam:AttachRolePolicy", role(r.name), { ...bounded, "iam:PolicyARN": arn })).toBe(
          "Allowed",
        );
      }
      for (const action of ["iam:GetRole", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:DeleteRole"]) {
        expect(await asService(action, role(r.name))).toBe("Allowed");
      }
    }
    const fn = stack.resources[LOGICAL.registrationFunction]!.Properties;
    expect(await asService("iam:PassRole", fn.Role as string, { "iam:PassedToService": "lambda.amazonaws.com" })).toBe(
      "Allowed",
    );
    const fnArn = `arn:aws:lambda:${REGION}:${CUSTOMER_ACCOUNT}:function:${fn.FunctionName}`;
    expect(await asService("lambda:UpdateFunctionCode", fnArn)).toBe("Allowed");
    expect(await asService("iam:CreatePolicy", iam("policy/Acme-extra"))).toBe("Allowed");
  });

  it("cannot create a role without the boundary (ChangePrefixedRolesWithinTheBoundary)", async () => {
    expect(await asService("iam:CreateRole", role("Acme-x"))).toBe("ImplicitlyDenied");
    expect(await asService("iam:CreateRole", role("Acme-x"), withBoundary(iam("policy/Acme-wide")))).toBe(
      "ImplicitlyDenied",
    );
    expect(await asService("iam:CreateRole", role("Admin"), withBoundary())).toBe("ImplicitlyDenied");
    expect(await asService("iam:CreateUser", iam("user/Acme-user"), withBoundary())).toBe("ImplicitlyDenied");
  });

  it("cannot bound a role by a look-alike boundary it created under the prefix (ChangePrefixedRolesWithinTheBoundary)", async () => {
    // The service role may create `Acme-*` policies, so a malicious version could publish a wide one
    // named like another stack's boundary: only this stack's boundary, by exact ARN, satisfies the condition.
    expect(await asService("iam:CreatePolicy", LOOK_ALIKE)).toBe("Allowed");
    for (const action of ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy"]) {
      expect(`${action}: ${await asService(action, role("Acme-x"), withBoundary(LOOK_ALIKE))}`).toBe(
        `${action}: ImplicitlyDenied`,
      );
    }
    expect(await asService("iam:CreateRole", role("Acme-x"), withBoundary())).toBe("Allowed");
  });

  it("cannot give AdministratorAccess to a role without the boundary (ChangePrefixedRolesWithinTheBoundary)", async () => {
    const admin = { "iam:PolicyARN": ADMIN_POLICY };
    for (const context of [admin, { ...admin, ...withBoundary(iam("policy/Acme-wide")) }]) {
      expect(await asService("iam:AttachRolePolicy", role("Acme-x"), context)).toBe("ImplicitlyDenied");
      expect(await asService("iam:PutRolePolicy", role("Acme-x"), context)).toBe("ImplicitlyDenied");
    }
    expect(await asService("iam:PutRolePermissionsBoundary", role("Acme-x"), withBoundary(ADMIN_POLICY))).toBe(
      "ImplicitlyDenied",
    );
    expect(await asService("iam:AttachRolePolicy", role("OrganizationAccountAccessRole"), admin)).toBe(
      "ImplicitlyDenied",
    );
  });

  it("cannot change the update role or itself (DenyChangingTheUpdateAndServiceRoles)", async () => {
    const writes = [
      "iam:PutRolePolicy",
      "iam:AttachRolePolicy",
      "iam:PutRolePermissionsBoundary",
      "iam:CreateRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:UpdateRole",
      "iam:TagRole",
      "iam:PassRole",
      "sts:AssumeRole",
    ];
    for (const target of [updateRole.name, serviceRole.name]) {
      for (const action of writes) {
        expect(`${action} ${target}: ${await asService(action, role(target), withBoundary())}`).toBe(
          `${action} ${target}: ExplicitlyDenied`,
        );
      }
    }
  });

  it("can still delete the update role when the customer opts out, and itself with the stack", async () => {
    for (const target of [updateRole.name, serviceRole.name]) {
      expect(await asService("iam:DeleteRolePolicy", role(target), withBoundary())).toBe("Allowed");
      expect(await asService("iam:DeleteRole", role(target))).toBe("Allowed");
    }
  });

  it("cannot change or delete the boundary (DenyChangingTheBoundary)", async () => {
    for (const action of [
      "iam:CreatePolicyVersion",
      "iam:SetDefaultPolicyVersion",
      "iam:DeletePolicyVersion",
      "iam:DeletePolicy",
      "iam:TagPolicy",
    ]) {
      expect(`${action}: ${await asService(action, BOUNDARY)}`).toBe(`${action}: ExplicitlyDenied`);
    }
    expect(await asService("iam:GetPolicyVersion", BOUNDARY)).toBe("Allowed");
  });

  it("cannot remove the boundary from a role (DenyRemovingBoundaries)", async () => {
    for (const target of ["Acme-x", integrationRole.name]) {
      expect(await asService("iam:DeleteRolePermissionsBoundary", role(target), withBoundary())).toBe(
        "ExplicitlyDenied",
      );
    }
  });

  it("passes only the registration role, only to Lambda (PassTheRegistrationRoleToLambda)", async () => {
    const pass = (name: string, service = "lambda.amazonaws.com") =>
      asService("iam:PassRole", role(name), { "iam:PassedToService": service });
    expect(await pass(registrationRole.name)).toBe("Allowed");
    expect(await pass(registrationRole.name, "ec2.amazonaws.com")).toBe("ImplicitlyDenied");
    expect(await pass(integrationRole.name)).toBe("ImplicitlyDenied");
    expect(await pass("Acme-other")).toBe("ImplicitlyDenied");
    expect(await pass("Admin")).toBe("ImplicitlyDenied");
  });

  it("reaches nothing else: other functions, data", async () => {
    const payments = `arn:aws:lambda:${REGION}:${CUSTOMER_ACCOUNT}:function:payments`;
    expect(await asService("lambda:UpdateFunctionCode", payments)).toBe("ImplicitlyDenied");
    expect(await asService("s3:GetObject", "arn:aws:s3:::customer-data/secret.csv")).toBe("ImplicitlyDenied");
  });
});

describe("a customer-supplied boundary", () => {
  const own = iam("policy/OrgBoundary");
  const owned = resolveTemplate(buildCustomerTemplate(acmeConfig), {
    accountId: CUSTOMER_ACCOUNT,
    region: REGION,
    stackName: "Acme-integration",
    parameters: { ExternalId: EXTERNAL_ID, PermissionsBoundaryArn: own },
  });
  const service = roleOf(owned, LOGICAL.serviceRole);
  const as = (action: string, resource: string, context: Context = {}): Promise<Decision> =>
    decide({
      principal: `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/${service.name}/AWSCloudFormation`,
      action,
      resource,
      resourceAccount: CUSTOMER_ACCOUNT,
      identityPolicies: service.identityPolicies,
      context,
    });

  it("replaces the vendor boundary in every condition and guard", async () => {
    expect(owned.resources[LOGICAL.boundary]).toBeUndefined();
    expect(await as("iam:CreateRole", role("Acme-x"), withBoundary(own))).toBe("Allowed");
    expect(await as("iam:CreateRole", role("Acme-x"), withBoundary())).toBe("ImplicitlyDenied");
    expect(await as("iam:CreatePolicyVersion", own)).toBe("ExplicitlyDenied");
  });
});
