import { UpdateStackCommand } from "@aws-sdk/client-cloudformation";
import { templateUrlFor } from "@stackfleet/core/integration/install";
import { Publish } from "@stackfleet/core/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, stopExpectingNoErrors, type TestStack } from "../support/local-stack";

/**
 * Issue 12's acceptance through the sandbox. The outsider holds what anyone with
 * `cloudformation:DescribeStacks` in the customer account can read — the ExternalId and every
 * stack output — but no role there: each of its callbacks is a claim the API checks against the
 * live stack through the integration role. Tests isolate by account+Region and run in order: 1.1.0
 * is published by the manual-update test, so later installs run it; the flood runs last (it
 * empties the callback route's token bucket for 127.0.0.1).
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stopExpectingNoErrors(stack));

const OWNER = "ten_owner";
const SQUATTER = "ten_squatter";
const [A, B, C] = ["333333333333", "444444444444", "555555555555"] as const;

const token = (tenant = OWNER) => stack.tokenFor("tenant-admin", tenant);
/** The integration as its detail shows it; the audit trail is checked apart (`eventsOf`). */
const get = async (id: string, tenant = OWNER) => {
  const { recentEvents: _, ...detail } = (await stack.api("GET", `/v1/integrations/${id}`, await token(tenant))).body;
  return detail;
};
const eventsOf = async (id: string, tenant = OWNER): Promise<Array<{ action: string; notify: boolean }>> =>
  (await stack.api("GET", `/v1/integrations/${id}/events`, await token(tenant))).body.items;
const postCallback = (body: unknown) => stack.api("POST", "/v1/callbacks/registration", undefined, body);

async function create(accountId: string, region: string, tenant = OWNER) {
  const res = await stack.api("POST", "/v1/integrations", await token(tenant), { accountId, region });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; externalId: string; install: { quickCreateUrl: string } };
}

/** Installs the owner's stack; returns what the outsider can read from it (outputs, parameters). */
async function connect(accountId: string, region: string) {
  const created = await create(accountId, region);
  const installed = await stack.installFromQuickCreate(created.install.quickCreateUrl, accountId);
  expect(installed.StackStatus, installed.StackStatusReason).toBe("CREATE_COMPLETE");
  const outputs = Object.fromEntries((installed.Outputs ?? []).map((o) => [o.OutputKey!, o.OutputValue!]));
  const claim = {
    requestType: "Update",
    requestId: "outsider-request",
    externalId: outputs.ExternalId,
    accountId,
    region,
    integrationRoleArn: outputs.IntegrationRoleArn,
    updateRoleArn: outputs.UpdateRoleArn ?? null,
    serviceRoleArn: outputs.CloudFormationServiceRoleArn,
    stackId: installed.StackId!,
    stackName: installed.StackName!,
    templateVersion: outputs.TemplateVersion,
    enableAutoUpdate: true,
  };
  return { created, installed, claim, connected: await get(created.id) };
}

describe("callbacks from an outsider holding the ExternalId and the stack outputs", () => {
  it("a spoofed Delete leaves the integration connected", async () => {
    const { created, claim } = await connect(A, "us-east-1");
    const res = await postCallback({ ...claim, requestType: "Delete" });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { code: "stack_not_deleted", message: expect.any(String) } });
    expect(await get(created.id)).toMatchObject({ status: "connected", autoUpdate: true });
  });

  it("records the customer's own manual update to a newer published version, and refuses the old claim after it", async () => {
    const { created, installed, claim } = await connect(B, "us-east-1");
    const { templateSha256 } = await Publish.publish(
      stack.deps,
      stack.deps.publishing,
      { templateBytes: new TextEncoder().encode(stack.customerTemplate("1.1.0")), version: "1.1.0" },
      "operator:test",
    );
    await stack.cloudformation(B, "us-east-1").send(
      new UpdateStackCommand({
        StackName: installed.StackId,
        TemplateURL: templateUrlFor(stack.config, templateSha256),
        Parameters: (installed.Parameters ?? []).map((p) => ({ ParameterKey: p.ParameterKey, UsePreviousValue: true })),
        Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
      }),
    );
    const updated = await stack.waitForStack(B, "us-east-1", installed.StackId!);
    expect(updated.StackStatus, updated.StackStatusReason).toBe("UPDATE_COMPLETE");
    expect(await get(created.id)).toMatchObject({ status: "connected", currentVersion: "1.1.0" });

    const replayed = await postCallback({ ...claim, requestId: "the-original-create" });
    expect(replayed.body.error?.code).toBe("version_not_live");
    expect(await get(created.id)).toMatchObject({ currentVersion: "1.1.0" });
  });

  it("a forged Update (unpublished or not live) and a replayed one leave the recorded version unchanged", async () => {
    const { created, claim, connected } = await connect(A, "us-east-2");
    expect(claim.templateVersion).toBe("1.1.0");
    for (const [templateVersion, code] of [
      ["999.0.0", "unknown_version"],
      ["1.0.0", "version_not_live"],
    ] as const) {
      const res = await postCallback({ ...claim, templateVersion });
      expect(res.body.error?.code).toBe(code);
      expect(JSON.stringify(res.body)).not.toContain("us-east-2");
    }
    const replay = await postCallback({ ...claim, requestType: "Create" });
    expect(replay.status).toBe(200);
    expect(await get(created.id)).toEqual(connected);
  });

  it("squatting: another tenant's pending integration neither blocks nor tells; the stack that registers decides", async () => {
    const squat = await create(C, "us-east-1", SQUATTER);
    const { created, connected } = await connect(C, "us-east-1");
    expect(connected).toMatchObject({ id: created.id, status: "connected" });
    expect(await get(squat.id, SQUATTER)).toMatchObject({
      status: "removed",
      statusReason: expect.stringContaining("superseded"),
    });
    expect((await eventsOf(squat.id, SQUATTER)).map((e) => e.action)).toContain("integration.superseded");
  });

  it("a real uninstall ends removed, with a notification for the customer and operators", async () => {
    const { created, installed } = await connect(B, "eu-west-1");
    const deleted = await stack.deleteStack(B, "eu-west-1", installed.StackId!);
    expect(deleted.StackStatus).toBe("DELETE_COMPLETE");
    expect(await get(created.id)).toMatchObject({ status: "removed", statusReason: "customer deleted the stack" });
    expect((await eventsOf(created.id))[0]).toMatchObject({ action: "integration.removed", notify: true });
    const operatorView = await stack.api(
      "GET",
      `/v1/integrations/${created.id}/events?tenantId=${OWNER}`,
      await stack.tokenFor("operator"),
    );
    expect(operatorView.body.items[0]).toMatchObject({ action: "integration.removed", notify: true });
  });

  it("200 flooding callbacks write at most 20 items", async () => {
    const { claim } = await connect(A, "eu-west-2");
    const before = (await stack.scan()).length;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const forged = i % 2 ? { ...claim, requestType: "Delete" } : { ...claim, templateVersion: "999.0.0" };
      const res = await postCallback({ ...forged, requestId: `flood-${i}` });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    const written = (await stack.scan()).length - before;
    expect(written).toBeLessThanOrEqual(20);
    expect(statuses.get(429)).toBeGreaterThan(0);
    expect([...statuses.keys()].every((s) => [403, 409, 429].includes(s))).toBe(true);
  });
});
