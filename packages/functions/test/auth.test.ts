import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import {
  authResponses,
  bearerAuth,
  principalOf,
  requestTenant,
  requireAuth,
  requireOperator,
  TenantQuery,
} from "../src/api/auth";
import { router } from "../src/api/env";
import { createTestApi } from "./support/api";

const Who = z.object({ subject: z.string(), role: z.string(), tenantId: z.string().optional() });
const ok = { 200: { description: "ok", content: { "application/json": { schema: Who } } }, ...authResponses };

/** Stand-ins for the real tenant and operator routes, built the way those are. */
const routes = router()
  .openapi(
    createRoute({ method: "get", path: "/t/whoami", security: bearerAuth, middleware: [requireAuth()], responses: ok }),
    (c) => c.json(principalOf(c), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/t/halt",
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()],
      responses: ok,
    }),
    (c) => c.json(principalOf(c), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/t/tenants/{tenantId}",
      security: bearerAuth,
      middleware: [requireAuth()],
      request: { params: z.object({ tenantId: z.string() }) },
      responses: ok,
    }),
    (c) => c.json({ ...principalOf(c), tenantId: requestTenant(c, c.req.valid("param").tenantId) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/t/scoped",
      security: bearerAuth,
      middleware: [requireAuth()],
      request: { query: TenantQuery },
      responses: ok,
    }),
    (c) => c.json({ ...principalOf(c), tenantId: requestTenant(c, c.req.valid("query").tenantId) }, 200),
  )
  .openapi(createRoute({ method: "get", path: "/t/forgot-auth", responses: ok }), (c) => c.json(principalOf(c), 200));

async function setup() {
  const api = await createTestApi();
  api.app.route("/", routes);
  return { app: api.app, clock: api.store.clock, headersFor: api.headersFor };
}

describe("requireAuth", () => {
  it("answers a request without a token with 401 token_missing in the error contract", async () => {
    const { app } = await setup();
    const res = await app.request("/t/whoami");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await res.json()).toEqual({ error: { code: "token_missing", message: expect.any(String) } });
  });

  it.each([
    ["a malformed token", "Bearer not.a.jwt"],
    ["another scheme", "Basic YWxpY2U6c2VjcmV0"],
    ["an empty bearer", "Bearer "],
  ])("answers %s with 401 token_invalid", async (_name, authorization) => {
    const { app } = await setup();
    const res = await app.request("/t/whoami", { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    expect(await res.json()).toMatchObject({ error: { code: "token_invalid" } });
  });

  it("answers an expired token with 401 token_expired", async () => {
    const { app, clock, headersFor } = await setup();
    const headers = await headersFor({ role: "operator" });
    clock.advance(2 * 3600_000);
    const res = await app.request("/t/whoami", { headers });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: "token_expired" } });
  });

  it("hands the verified principal to the handler", async () => {
    const { app, headersFor } = await setup();
    const res = await app.request("/t/whoami", {
      headers: await headersFor({ role: "tenant-admin", tenantId: "ten_A", subject: "alice" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ subject: "alice", role: "tenant-admin", tenantId: "ten_A" });
  });

  it("fails closed (401) in a handler whose route forgot requireAuth", async () => {
    const { app, headersFor } = await setup();
    const res = await app.request("/t/forgot-auth", { headers: await headersFor({ role: "operator" }) });
    expect(res.status).toBe(401);
  });
});

describe("requireOperator", () => {
  it("answers a tenant-admin with 403 operator_required", async () => {
    const { app, headersFor } = await setup();
    const res = await app.request("/t/halt", {
      method: "POST",
      headers: await headersFor({ role: "tenant-admin", tenantId: "ten_A" }),
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: "operator_required" } });
  });

  it("lets an operator through", async () => {
    const { app, headersFor } = await setup();
    const res = await app.request("/t/halt", {
      method: "POST",
      headers: await headersFor({ role: "operator", subject: "ops" }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ role: "operator", subject: "ops" });
  });
});

describe("requestTenant", () => {
  it("lets a tenant-admin act on its own tenant and answers another tenant's id with 404", async () => {
    const { app, headersFor } = await setup();
    const headers = await headersFor({ role: "tenant-admin", tenantId: "ten_A" });
    expect((await app.request("/t/tenants/ten_A", { headers })).status).toBe(200);
    const other = await app.request("/t/tenants/ten_B", { headers });
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: "tenant_not_found" } });
  });

  it("makes an operator name the tenant with ?tenantId=", async () => {
    const { app, headersFor } = await setup();
    const headers = await headersFor({ role: "operator" });
    const named = await app.request("/t/scoped?tenantId=ten_B", { headers });
    expect(await named.json()).toMatchObject({ tenantId: "ten_B" });
    const unnamed = await app.request("/t/scoped", { headers });
    expect(unnamed.status).toBe(400);
    expect(await unnamed.json()).toMatchObject({ error: { code: "tenant_required" } });
  });

  it("ignores a tenant-admin's ?tenantId= only when it is its own", async () => {
    const { app, headersFor } = await setup();
    const headers = await headersFor({ role: "tenant-admin", tenantId: "ten_A" });
    expect(await (await app.request("/t/scoped", { headers })).json()).toMatchObject({ tenantId: "ten_A" });
    expect((await app.request("/t/scoped?tenantId=ten_B", { headers })).status).toBe(404);
  });
});

describe("OpenAPI", () => {
  it("declares the bearer scheme and marks protected routes with it", async () => {
    const { app } = await setup();
    const doc = (await (await app.request("/openapi.json")).json()) as {
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, { get: { security?: unknown } }>;
    };
    expect(doc.components.securitySchemes.bearer).toMatchObject({
      type: "http",
      scheme: "bearer",
      bearerFormat: "JWT",
    });
    expect(doc.paths["/t/whoami"]?.get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths["/health"]?.get.security).toBeUndefined();
  });
});
