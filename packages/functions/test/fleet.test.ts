import { beforeEach, describe, expect, it } from "vitest";
import { connectedIntegration, createTestApi, type TestApi, testTemplate } from "./support/api";

let api: TestApi;
let operator: Record<string, string>;
const read = async (res: Response) => (await res.json()) as any;
const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  api.app.request(
    path,
    body === undefined
      ? { method, headers }
      : { method, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) },
  );

const connected = (tenantId: string, accountId: string, patch: Record<string, unknown> = {}) =>
  connectedIntegration(api.deps, tenantId, accountId, patch);

beforeEach(async () => {
  api = await createTestApi();
  operator = await api.headersFor({ role: "operator", subject: "ops@acme" });
  expect(
    (await call("POST", "/v1/versions", operator, { version: "1.0.0", template: testTemplate("1.0.0") })).status,
  ).toBe(201);
});

describe("operator fleet views", () => {
  it("tenants, version distribution and integrations filtered by status, version, access and tenant", async () => {
    const a1 = await connected("ten_a", "333333333333");
    const a2 = await connected("ten_a", "333333333334", { status: "access-lost", statusReason: "denied" });
    const b1 = await connected("ten_b", "444444444444", { currentVersion: "1.1.0" });
    const tenants = await read(await call("GET", "/v1/fleet/tenants", operator));
    expect(tenants.items).toMatchObject([
      { tenantId: "ten_a", integrations: 2, byAccess: { connected: 1, "access-lost": 1 }, versions: { "1.0.0": 2 } },
      { tenantId: "ten_b", integrations: 1, versions: { "1.1.0": 1 } },
    ]);
    const versions = await read(await call("GET", "/v1/fleet/versions", operator));
    expect(versions.items).toEqual([
      { version: "1.1.0", state: null, integrations: 1 },
      { version: "1.0.0", state: "published", integrations: 2 },
    ]);
    const ids = async (query: string) =>
      (await read(await call("GET", `/v1/fleet/integrations?${query}`, operator))).items.map((i: any) => i.id);
    expect(await ids("status=access_lost")).toEqual([a2]);
    expect(await ids("version=1.1.0")).toEqual([b1]);
    expect(await ids("access=connected&tenantId=ten_a")).toEqual([a1]);
    expect((await ids("tenantId=ten_a")).sort()).toEqual([a1, a2].sort());
    const one = await read(await call("GET", "/v1/fleet/integrations?status=up_to_date&limit=1", operator));
    expect(one.items).toHaveLength(1);
    expect(one.items[0].updateStatus).toEqual({ state: "up_to_date", version: one.items[0].currentVersion });
    const next = await read(
      await call(
        "GET",
        `/v1/fleet/integrations?status=up_to_date&limit=1&cursor=${encodeURIComponent(one.cursor)}`,
        operator,
      ),
    );
    expect(next.items.map((i: any) => i.id)).not.toContain(one.items[0].id);
    expect(next.cursor).toBeNull();
  });

  it("run history per version and the operator audit say who did what, when", async () => {
    const id = await connected("ten_a", "333333333333");
    await call("POST", "/v1/versions", operator, { version: "1.1.0", template: testTemplate("1.1.0") });
    await call("POST", "/v1/versions/1.1.0/halt", operator, { reason: "bad canary" });
    const runs = await read(await call("GET", "/v1/fleet/versions/1.1.0/runs", operator));
    expect(runs.items).toMatchObject([{ version: "1.1.0", integrationId: id, tenantId: "ten_a", state: "scheduled" }]);
    const audit = await read(await call("GET", "/v1/fleet/audit", operator));
    expect(audit.items.map((e: any) => [e.action, e.actor])).toEqual([
      ["version.halted", "operator:ops@acme"],
      ["version.published", "operator:ops@acme"],
      ["version.published", "operator:ops@acme"],
    ]);
    expect(audit.items[0].reason).toBe("bad canary");
  });

  it("is for operators only, and rejects bad filters with 400", async () => {
    const tenant = await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" });
    for (const path of ["/v1/fleet/tenants", "/v1/fleet/integrations", "/v1/fleet/versions", "/v1/fleet/audit"]) {
      expect((await call("GET", path, tenant)).status).toBe(403);
    }
    expect((await call("GET", "/v1/fleet/integrations?status=happy", operator)).status).toBe(400);
    expect((await call("GET", "/v1/fleet/integrations?cursor=forged", operator)).status).toBe(400);
    expect((await call("GET", "/v1/fleet/versions/9.9.9/runs", operator)).status).toBe(404);
  });
});
