import { createService } from "@stackfleet/core/db/service";
import { describe, expect, it } from "vitest";
import { createTestApi } from "./support/api";

describe("GET /health", () => {
  it("is 200 when the table answers", async () => {
    const { app, store } = await createTestApi();
    const res = await app.request("/health");
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ status: "ok", store: { reachable: true }, time: store.now().toISOString() });
    // Unauthenticated: names nothing internal.
    expect(body).not.toContain(store.tableName);
  });

  it("is 503 with the error contract when the table is missing", async () => {
    const probe = await createTestApi();
    const { app } = await createTestApi({
      service: createService(probe.store.documentClient, "no-such-table"),
      tableName: "no-such-table",
    });
    const res = await app.request("/health");
    expect(res.status).toBe(503);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: { code: "store_unreachable", message: "The store did not answer" } });
    expect(body).not.toContain("no-such-table");
  });
});

describe("errors", () => {
  it("an unknown route is a 404 in the error contract", async () => {
    const { app } = await createTestApi();
    const res = await app.request("/v1/nothing-here", { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: "route_not_found", message: "No route for POST /v1/nothing-here" },
    });
  });
});
