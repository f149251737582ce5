import { beforeEach, describe, expect, it } from "vitest";
import { createTestApi, type TestApi } from "./support/api";

let api: TestApi;
let tenantA: Record<string, string>;
let tenantB: Record<string, string>;
let operator: Record<string, string>;
beforeEach(async () => {
  api = await createTestApi();
  tenantA = await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" });
  tenantB = await api.headersFor({ role: "tenant-admin", tenantId: "ten_b" });
  operator = await api.headersFor({ role: "operator", subject: "ops@acme" });
});

// Response bodies are asserted field by field; their static type does not matter here.
const read = async (res: Response) => (await res.json()) as any;
const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  api.app.request(
    path,
    body === undefined
      ? { method, headers }
      : { method, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) },
  );
const create = async (headers = tenantA, accountId = "333333333333") => {
  const res = await call("POST", "/v1/integrations", headers, { accountId, region: "eu-west-1" });
  return { res, body: await read(res) };
};

describe("integrations API", () => {
  it("creates an integration with a generated ExternalId and the stack name; the client cannot set either", async () => {
    const { res, body } = await create();
    expect(res.status).toBe(201);
    expect(body).toMatchObject({
      accountId: "333333333333",
      region: "eu-west-1",
      status: "pending",
      stackName: "Acme-integration",
      autoUpdate: true,
      install: null,
    });
    expect(body.id).toMatch(/^int_/);
    expect(body.externalId).toMatch(/^[\w+=,.@:/-]{32,}$/);
    const forged = await call("POST", "/v1/integrations", tenantA, {
      accountId: "444444444444",
      region: "eu-west-1",
      externalId: "mine",
    });
    expect(forged.status).toBe(400);
    expect(await forged.json()).toMatchObject({ error: { code: "invalid_request" } });
  });

  it("lists, reads, disables auto-update and removes, recording each change as an event", async () => {
    const { body } = await create();
    const list = await read(await call("GET", "/v1/integrations", tenantA));
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([body.id]);
    const patched = await call("PATCH", `/v1/integrations/${body.id}`, tenantA, {
      autoUpdate: false,
      reason: "change freeze",
    });
    expect(await patched.json()).toMatchObject({ autoUpdate: false, autoUpdateReason: "change freeze" });
    const removed = await call("DELETE", `/v1/integrations/${body.id}`, tenantA);
    expect(await removed.json()).toMatchObject({ status: "removed", autoUpdate: false });
    const events = await read(await call("GET", `/v1/integrations/${body.id}/events`, tenantA));
    expect(events.items.map((e: { action: string }) => e.action)).toEqual([
      "integration.removed",
      "auto-update.disabled",
      "integration.created",
    ]);
  });

  it("shows another tenant's integration as 404 on every route and changes nothing", async () => {
    const { body } = await create();
    for (const [method, path, payload] of [
      ["GET", `/v1/integrations/${body.id}`],
      ["PATCH", `/v1/integrations/${body.id}`, { autoUpdate: false }],
      ["DELETE", `/v1/integrations/${body.id}`],
      ["GET", `/v1/integrations/${body.id}/events`],
      ["POST", `/v1/integrations/${body.id}/verify`],
      // Customer controls, with bodies that would be valid for the owner.
      ["POST", `/v1/integrations/${body.id}/skips`, { version: "1.0.0" }],
      ["DELETE", `/v1/integrations/${body.id}/skips/1.0.0`],
      ["POST", `/v1/integrations/${body.id}/updates`, { version: "1.0.0" }],
      [
        "PUT",
        `/v1/integrations/${body.id}/maintenance-window`,
        { days: [0], startMinute: 60, durationMinutes: 120, timezone: "UTC" },
      ],
      ["DELETE", `/v1/integrations/${body.id}/maintenance-window`],
    ] as const) {
      const res = await call(method, path, tenantB, payload);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: "integration_not_found" } });
    }
    expect((await read(await call("GET", "/v1/integrations", tenantB))).items).toEqual([]);
    expect(await read(await call("GET", `/v1/integrations/${body.id}`, tenantA))).toMatchObject({
      status: "pending",
      autoUpdate: true,
    });
  });

  it("lets operators act on a named tenant only", async () => {
    const { body } = await create();
    expect((await call("GET", "/v1/integrations", operator)).status).toBe(400);
    const res = await call("GET", `/v1/integrations/${body.id}?tenantId=ten_a`, operator);
    expect(res.status).toBe(200);
    expect((await call("GET", `/v1/integrations/${body.id}?tenantId=ten_b`, operator)).status).toBe(404);
  });

  it("requires a bearer token", async () => {
    const res = await api.app.request("/v1/integrations");
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "token_missing" } });
  });

  it("answers a second integration for the same account and region like the first: registration decides", async () => {
    await create();
    const { res, body } = await create(tenantB);
    expect(res.status).toBe(201);
    expect(body).toMatchObject({ status: "pending", accountId: "333333333333" });
  });

  it("answers a callback that fails the ExternalId check with 403 and writes nothing for a pending integration", async () => {
    const { body } = await create();
    const res = await call(
      "POST",
      "/v1/callbacks/registration",
      {},
      {
        requestType: "Create",
        externalId: "not-the-right-one-but-well-formed-0000000000",
        accountId: "333333333333",
        region: "eu-west-1",
        integrationRoleArn: "arn:aws:iam::333333333333:role/Acme-integration-eu-west-1",
        stackId: "arn:aws:cloudformation:eu-west-1:333333333333:stack/Acme-integration/1",
        stackName: "Acme-integration",
        templateVersion: "1.0.0",
        enableAutoUpdate: "true",
      },
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "registration_rejected" } });
    const events = await read(await call("GET", `/v1/integrations/${body.id}/events`, tenantA));
    expect(events.items.map((e: { action: string }) => e.action)).toEqual(["integration.created"]);
  });
});
