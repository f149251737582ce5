import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app";
import { createTestApi, type TestApi } from "./support/api";

let api: TestApi;
let tenantA: Record<string, string>;
let tenantB: Record<string, string>;
let operator: Record<string, string>;
const DASHBOARD = "https://dashboard.acme.test";

beforeAll(async () => {
  api = await createTestApi();
  tenantA = await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" });
  tenantB = await api.headersFor({ role: "tenant-admin", tenantId: "ten_b" });
  operator = await api.headersFor({ role: "operator", subject: "ops@acme" });
  for (const accountId of ["333333333331", "333333333332", "333333333333"]) {
    const res = await api.app.request("/v1/integrations", {
      method: "POST",
      headers: { ...tenantA, "content-type": "application/json" },
      body: JSON.stringify({ accountId, region: "eu-west-1" }),
    });
    expect(res.status).toBe(201);
  }
});

const get = (path: string, headers: Record<string, string>) => api.app.request(path, { headers });
const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;

describe("list cursors", () => {
  it("page through a tenant's integrations with opaque cursors", async () => {
    const first = (await (await get("/v1/integrations?limit=2", tenantA)).json()) as any;
    expect(first.items).toHaveLength(2);
    expect(first.cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    // A versioned envelope around ElectroDB's cursor, signed; clients must not build one.
    const envelope = JSON.parse(Buffer.from(first.cursor.split(".")[0], "base64url").toString("utf8"));
    expect(envelope).toEqual({ v: 1, k: expect.any(String) });
    const second = (await (await get(`/v1/integrations?limit=2&cursor=${first.cursor}`, tenantA)).json()) as any;
    expect(second.items).toHaveLength(1);
    expect(second.cursor).toBeNull();
    const ids = [...first.items, ...second.items].map((i: { id: string }) => i.id);
    expect(new Set(ids).size).toBe(3);
  });

  it("refuse a forged cursor, another tenant's and another route's with 400 invalid_cursor", async () => {
    const cursor = ((await (await get("/v1/integrations?limit=1", tenantA)).json()) as any).cursor as string;
    const forged = Buffer.from(JSON.stringify({ pk: "$stackfleet#tenantid_ten_b", sk: "x" })).toString("base64url");
    const cases: [string, Record<string, string>][] = [
      ["/v1/integrations?cursor=abc", tenantA],
      [`/v1/integrations?cursor=${forged}`, tenantA],
      [`/v1/integrations?cursor=${cursor}`, tenantB],
      [`/v1/integrations?tenantId=ten_b&cursor=${cursor}`, operator],
      [`/v1/events?cursor=${cursor}`, tenantA],
      [`/v1/versions?cursor=${cursor}`, tenantA],
    ];
    for (const [path, headers] of cases) {
      const res = await get(path, headers);
      expect(res.status, path).toBe(400);
      expect(await errorOf(res), path).toBe("invalid_cursor");
    }
    expect(api.errors).toEqual([]);
  });

  it("are refused by another app instance with its own key, and accepted with a shared one", async () => {
    const cursor = ((await (await get("/v1/integrations?limit=1", tenantA)).json()) as any).cursor as string;
    const other = createApp({ ...api.deps, cursorKey: new Uint8Array(32).fill(7) }, { log: { error: () => {} } });
    const res = await other.request(`/v1/integrations?cursor=${cursor}`, { headers: tenantA });
    expect(await errorOf(res)).toBe("invalid_cursor");
    const shared = createApp({ ...api.deps, cursorKey: new Uint8Array(32).fill(7) }, { log: { error: () => {} } });
    const page = (await (await other.request("/v1/integrations?limit=1", { headers: tenantA })).json()) as any;
    expect((await shared.request(`/v1/integrations?cursor=${page.cursor}`, { headers: tenantA })).status).toBe(200);
  });
});

describe("HTTP semantics", () => {
  it("a wrong method on an existing path is 405 with Allow", async () => {
    const res = await api.app.request("/v1/versions", { method: "DELETE", headers: operator });
    expect(res.status).toBe(405);
    // The order follows route registration; what matters is the set.
    expect(res.headers.get("allow")?.split(", ").sort()).toEqual(["GET", "HEAD", "OPTIONS", "POST"]);
    expect(await res.json()).toEqual({
      error: { code: "method_not_allowed", message: "DELETE is not allowed on /v1/versions" },
    });
    const one = await api.app.request("/v1/integrations/int_01JD5Y3M5QK3T3G1ZJ3N4Q2X8V/verify", { method: "GET" });
    expect(one.status).toBe(405);
    expect(one.headers.get("allow")).toBe("POST, OPTIONS");
  });

  it("an unknown path stays a 404", async () => {
    expect((await api.app.request("/v1/nothing", { method: "DELETE" })).status).toBe(404);
  });

  it("a body that is not JSON, or a required one without a content type, is 415 and changes nothing", async () => {
    const before = ((await (await get("/v1/integrations", tenantA)).json()) as any).items.length;
    const body = JSON.stringify({ accountId: "444444444444", region: "eu-west-1" });
    for (const headers of [
      { ...tenantA },
      { ...tenantA, "content-type": "text/plain" },
      { ...tenantA, "content-type": "application/x-www-form-urlencoded" },
    ]) {
      const res = await api.app.request("/v1/integrations", { method: "POST", headers, body });
      expect(res.status, JSON.stringify(headers)).toBe(415);
      expect(await errorOf(res)).toBe("unsupported_media_type");
    }
    // No body at all is a missing body, not a media type: 400.
    const missing = await api.app.request("/v1/integrations", { method: "POST", headers: tenantA });
    expect(missing.status).toBe(400);
    expect(((await (await get("/v1/integrations", tenantA)).json()) as any).items).toHaveLength(before);
  });

  it("JSON with a charset is accepted; an optional body may be left out", async () => {
    const res = await api.app.request("/v1/integrations", {
      method: "POST",
      headers: { ...tenantA, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ accountId: "555555555555", region: "eu-west-1" }),
    });
    expect(res.status).toBe(201);
    // The halt's reason body is optional: no body and no content type reaches the route (404: no such version).
    const halt = await api.app.request("/v1/versions/9.9.9/halt", { method: "POST", headers: operator });
    expect(await errorOf(halt)).not.toBe("unsupported_media_type");
    const text = await api.app.request("/v1/versions/9.9.9/halt", {
      method: "POST",
      headers: { ...operator, "content-type": "text/plain" },
      body: "stop",
    });
    expect(text.status).toBe(415);
  });
});

describe("CORS", () => {
  const withOrigins = () =>
    createApp(api.deps, { log: { error: () => {} }, corsOrigins: [DASHBOARD, "https://other.acme.test"] });

  it("allows the configured dashboard origins, preflight included", async () => {
    const app = withOrigins();
    const preflight = await app.request("/v1/integrations", {
      method: "OPTIONS",
      headers: { origin: DASHBOARD, "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(preflight.headers.get("access-control-allow-methods")).toBe("POST, GET, HEAD");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("Authorization, Content-Type");
    const res = await app.request("/v1/integrations", { headers: { ...tenantA, origin: DASHBOARD } });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(res.headers.get("vary")).toContain("Origin");
    const refused = await app.request("/v1/integrations", { headers: { origin: DASHBOARD } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
  });

  it("gives other origins, and apps without configured origins, no CORS headers", async () => {
    const app = withOrigins();
    const evil = await app.request("/v1/integrations", {
      method: "OPTIONS",
      headers: { origin: "https://evil.test", "access-control-request-method": "POST" },
    });
    expect(evil.headers.get("access-control-allow-origin")).toBeNull();
    expect(evil.headers.get("access-control-allow-methods")).toBeNull();
    const plain = await api.app.request("/v1/integrations", { headers: { ...tenantA, origin: DASHBOARD } });
    expect(plain.headers.get("access-control-allow-origin")).toBeNull();
  });
});
