import { describe, expect, it } from "vitest";
import { createTestStore } from "../../../test/support/store";
import { createApp } from "../src/api/app";
import { createService } from "@stackfleet/core/store/service";

const silent = { error: () => {} };

describe("GET /health", () => {
  it("is 200 when the table answers", async () => {
    const store = await createTestStore();
    const app = createApp({ ...store, tableName: store.tableName }, { log: silent });
    const res = await app.request("/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok", store: { reachable: true, table: store.tableName } });
  });

  it("is 503 with the error contract when the table is missing", async () => {
    const store = await createTestStore();
    const service = createService(store.documentClient, "no-such-table");
    const app = createApp({ ...store, service, tableName: "no-such-table" }, { log: silent });
    const res = await app.request("/health");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: "store_unreachable" } });
  });
});

describe("errors", () => {
  it("an unknown route is a 404 in the error contract", async () => {
    const store = await createTestStore();
    const app = createApp({ ...store, tableName: store.tableName }, { log: silent });
    const res = await app.request("/v1/nothing-here", { method: "POST" });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: "route_not_found", message: "No route for POST /v1/nothing-here" } });
  });
});
