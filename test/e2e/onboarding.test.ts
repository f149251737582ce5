import { DescribeStackEventsCommand, type Stack } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, startTestStack, stopExpectingNoErrors, type TestStack } from "../support/local-stack";

/**
 * Issue 4's acceptance, end to end: the real HTTP API, the customer template v1.0.0 installed
 * from the quick-create link into a sandbox customer account, its inline registration function
 * calling back over HTTP, and the vendor's two-sided AssumeRole proof against the sandbox's IAM.
 * Every test works in its own account+Region, so they do not depend on each other's order.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
// No test may have produced an unexpected 500 (the API logs those at error level).
afterAll(() => stopExpectingNoErrors(stack));

const TENANT = "ten_onboarding";
const [A, B, C] = ["333333333333", "444444444444", "555555555555"] as const;

async function tenantToken() {
  return stack.tokenFor("tenant-admin", TENANT);
}

async function createIntegration(accountId: string, region: string) {
  const res = await stack.api("POST", "/v1/integrations", await tenantToken(), { accountId, region });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as {
    id: string;
    externalId: string;
    stackName: string;
    install: { quickCreateUrl: string; version: string };
  };
}

/** The integration as its detail shows it; the audit trail is checked apart (`eventsOf`). */
const getIntegration = async (id: string) => {
  const { recentEvents: _, ...detail } = (await stack.api("GET", `/v1/integrations/${id}`, await tenantToken())).body;
  return detail;
};
const eventsOf = async (
  id: string,
): Promise<
  Array<{ action: string; reason?: string; notify: boolean; actor: string; data?: Record<string, unknown> }>
> => (await stack.api("GET", `/v1/integrations/${id}/events`, await tenantToken())).body.items;
const verify = async (id: string) => stack.api("POST", `/v1/integrations/${id}/verify`, await tenantToken());
const postCallback = (body: unknown) => stack.api("POST", "/v1/callbacks/registration", undefined, body);

/** What the template's registration function posts for a stack, as the callback schema reads it. */
function callbackFor(
  integration: {
    roles: { integration: string; update?: string; service?: string };
    accountId: string;
    region: string;
    stackId: string;
    stackName: string;
  },
  externalId: string,
) {
  return {
    requestType: "Create",
    externalId,
    accountId: integration.accountId,
    region: integration.region,
    integrationRoleArn: integration.roles.integration,
    updateRoleArn: integration.roles.update ?? null,
    serviceRoleArn: integration.roles.service ?? null,
    stackId: integration.stackId,
    stackName: integration.stackName,
    templateVersion: "1.0.0",
    enableAutoUpdate: true,
  };
}

/** Create an integration and install its quick-create link in the same account: the happy path. */
async function connect(accountId: string, region: string) {
  const created = await createIntegration(accountId, region);
  const installed = await stack.installFromQuickCreate(created.install.quickCreateUrl, accountId);
  expect(installed.StackStatus, installed.StackStatusReason).toBe("CREATE_COMPLETE");
  return { created, installed, connected: await getIntegration(created.id) };
}

/** The reason CloudFormation shows the customer for the registration resource's failure. */
async function registrationFailure(accountId: string, region: string, installed: Stack): Promise<string> {
  const { StackEvents = [] } = await stack
    .cloudformation(accountId, region)
    .send(new DescribeStackEventsCommand({ StackName: installed.StackId }));
  return (
    StackEvents.find((e) => e.LogicalResourceId === "Registration" && e.ResourceStatus === "CREATE_FAILED")
      ?.ResourceStatusReason ?? ""
  );
}

function expectError(res: ApiResponse, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
  expect(res.body.error.message.length).toBeGreaterThan(10);
}

describe("onboarding a customer account through the quick-create link", () => {
  it("connects: the stack's registration callback records the role ARNs and version 1.0.0", async () => {
    const { created, installed, connected } = await connect(A, "us-east-1");

    expect(created.install.version).toBe("1.0.0");
    expect(created.stackName).toBe("Acme-integration");
    expect(installed.StackName).toBe("Acme-integration");
    expect(installed.Parameters).toContainEqual({ ParameterKey: "ExternalId", ParameterValue: created.externalId });
    expect(connected).toMatchObject({
      id: created.id,
      status: "connected",
      accountId: A,
      region: "us-east-1",
      autoUpdate: true,
      currentVersion: "1.0.0",
      stackId: installed.StackId,
      roles: {
        integration: `arn:aws:iam::${A}:role/Acme-integration-us-east-1`,
        update: `arn:aws:iam::${A}:role/Acme-updater-us-east-1`,
        service: `arn:aws:iam::${A}:role/Acme-cfn-service-us-east-1`,
      },
    });
    // The role ARNs the API recorded are the ones the customer's stack reports.
    const outputs = Object.fromEntries((installed.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs).toMatchObject({
      IntegrationRoleArn: connected.roles.integration,
      UpdateRoleArn: connected.roles.update,
      CloudFormationServiceRoleArn: connected.roles.service,
    });

    const events = await eventsOf(created.id);
    expect(events.map((e) => e.action)).toEqual(["integration.connected", "integration.created"]);
    expect(events[0]).toMatchObject({
      actor: "customer-stack",
      notify: true,
      data: { requestType: "Create", templateVersion: "1.0.0" },
    });

    const check = await verify(created.id);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ access: "ok", status: "connected" });
  });

  it("refuses an install whose ExternalId was tampered with: the stack fails, the integration stays pending, nothing is written", async () => {
    const created = await createIntegration(A, "us-east-2");
    const installed = await stack.installFromQuickCreate(created.install.quickCreateUrl, A, {
      parameters: { ExternalId: "tampered-external-id-0000" },
    });

    // The registration function answers FAILED on Create, so CloudFormation rolls the stack back.
    expect(installed.StackStatus).toBe("ROLLBACK_COMPLETE");
    const reason = await registrationFailure(A, "us-east-2", installed);
    expect(reason).toContain("Acme Security refused the registration (HTTP 403)");
    expect(reason).toContain("(registration_rejected)");
    // The rollback removed the roles the stack had created.
    expect(stack.sandbox.control.roles(A).map((r) => r.roleName)).not.toContain("Acme-integration-us-east-2");

    expect(await getIntegration(created.id)).toMatchObject({ status: "pending", roles: {} });
    // A pending integration holds no account yet, and the tampered ExternalId names none: an
    // unauthenticated caller writes nothing (a metric only), and the value sent is never stored.
    expect((await eventsOf(created.id)).map((e) => e.action)).toEqual(["integration.created"]);
    expect(JSON.stringify(await stack.scan())).not.toContain("tampered-external-id-0000");
  });

  it("refuses the quick-create installed in a different customer account than the integration's", async () => {
    const created = await createIntegration(B, "us-west-1");
    const installed = await stack.installFromQuickCreate(created.install.quickCreateUrl, C);

    expect(installed.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect(await registrationFailure(C, "us-west-1", installed)).toContain("(account_mismatch)");
    expect(await getIntegration(created.id)).toMatchObject({ status: "pending", roles: {} });
    // The ExternalId names the integration, so the refusal lands on its own trail, where the
    // tenant sees that its link was used from another account.
    const refused = (await eventsOf(created.id)).filter((e) => e.action === "registration.refused");
    expect(refused).toContainEqual(
      expect.objectContaining({
        reason: "account_mismatch",
        data: expect.objectContaining({ requestType: "Create", accountId: C }),
      }),
    );
  });

  it("refuses a callback whose role ARNs belong to another account (403 account_mismatch), audited", async () => {
    const { created, connected } = await connect(B, "us-west-2");
    const pending = await createIntegration(C, "us-west-2");
    // Account C's ExternalId with account B's roles (a stack in B pointing at C's integration).
    const forged = { ...callbackFor(connected, pending.externalId), accountId: C };
    const res = await postCallback(forged);

    expectError(res, 403, "account_mismatch");
    expect(await getIntegration(pending.id)).toMatchObject({ status: "pending", roles: {} });
    expect((await eventsOf(pending.id))[0]).toMatchObject({
      action: "registration.refused",
      reason: "account_mismatch",
    });
    expect((await getIntegration(created.id)).status).toBe("connected");
  });

  it("refuses a role that trusts the vendor without an ExternalId condition (403 external_id_not_enforced), audited", async () => {
    const created = await createIntegration(A, "eu-west-1");
    // The customer (or an attacker in their account) makes a prefixed role the vendor can assume with any ExternalId.
    const open = await stack.createStack(A, "eu-west-1", {
      StackName: "Acme-open-role",
      TemplateBody: JSON.stringify({
        Resources: {
          OpenRole: {
            Type: "AWS::IAM::Role",
            Properties: {
              RoleName: "Acme-integration-open",
              AssumeRolePolicyDocument: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Principal: { AWS: `arn:aws:iam::${stack.accounts.vendor.accountId}:root` },
                    Action: "sts:AssumeRole",
                  },
                ],
              },
              ManagedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit"],
            },
          },
        },
      }),
    });
    expect(open.StackStatus).toBe("CREATE_COMPLETE");
    const roleArn = `arn:aws:iam::${A}:role/Acme-integration-open`;
    const res = await postCallback({
      ...callbackFor(
        {
          accountId: A,
          region: "eu-west-1",
          stackId: open.StackId!,
          stackName: "Acme-open-role",
          roles: { integration: roleArn },
        },
        created.externalId,
      ),
    });

    expectError(res, 403, "external_id_not_enforced");
    expect(await getIntegration(created.id)).toMatchObject({ status: "pending", roles: {} });
    expect((await eventsOf(created.id))[0]).toMatchObject({
      action: "registration.refused",
      reason: "external_id_not_enforced",
      data: expect.objectContaining({ integrationRoleArn: roleArn }),
    });
  });

  it("takes an exact replay of the callback as a harmless 200 and refuses another role ARN with 409, audited", async () => {
    const { created, connected } = await connect(C, "eu-west-2");
    const before = await eventsOf(created.id);
    const callback = callbackFor(connected, created.externalId);

    const replay = await postCallback(callback);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ integrationId: created.id, status: "connected" });
    expect(await getIntegration(created.id)).toEqual(connected);
    expect(await eventsOf(created.id)).toEqual(before);

    const other = await postCallback({
      ...callback,
      requestType: "Update",
      integrationRoleArn: `arn:aws:iam::${C}:role/Acme-integration-other`,
    });
    expectError(other, 409, "role_arn_changed");
    expect(await getIntegration(created.id)).toEqual(connected);
    const [latest, ...rest] = await eventsOf(created.id);
    expect(latest).toMatchObject({
      action: "registration.refused",
      reason: "role_arn_changed",
      data: expect.objectContaining({ integrationRoleArn: `arn:aws:iam::${C}:role/Acme-integration-other` }),
    });
    expect(rest).toEqual(before);
  });

  it("marks the integration removed when the customer deletes the stack; verify then reports the access lost", async () => {
    const { created, installed } = await connect(A, "eu-central-1");

    const deleted = await stack.deleteStack(A, "eu-central-1", installed.StackId!);
    expect(deleted.StackStatus).toBe("DELETE_COMPLETE");

    expect(await getIntegration(created.id)).toMatchObject({
      status: "removed",
      autoUpdate: false,
      statusReason: "customer deleted the stack",
      install: null,
    });
    expect((await eventsOf(created.id))[0]).toMatchObject({
      action: "integration.removed",
      actor: "customer-stack",
      notify: true,
    });

    const check = await verify(created.id);
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({
      access: "lost",
      status: "removed",
      reason: expect.stringContaining("AssumeRole with the ExternalId was denied"),
    });
    // The account+Region is free again: the customer can connect anew.
    expect(
      (await stack.api("POST", "/v1/integrations", await tenantToken(), { accountId: A, region: "eu-central-1" }))
        .status,
    ).toBe(201);
  });

  it("moves a connected integration to access-lost, with a customer notification, when its role is deleted out of band", async () => {
    const { created, connected } = await connect(B, "ap-southeast-1");

    stack.sandbox.control.deleteRole(connected.roles.integration);
    const check = await verify(created.id);

    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({
      access: "lost",
      status: "access-lost",
      integration: { id: created.id, status: "access-lost" },
    });
    expect(await getIntegration(created.id)).toMatchObject({
      status: "access-lost",
      statusReason: expect.stringContaining("denied"),
    });
    expect((await eventsOf(created.id))[0]).toMatchObject({
      action: "access.lost",
      reason: "assume_denied",
      notify: true,
    });
  });
});
