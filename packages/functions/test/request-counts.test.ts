import { createService } from "@stackfleet/core/db/service";
import { WRITE_SHARDS } from "@stackfleet/core/db/write-shards";
import { PLAN_SHARDS } from "@stackfleet/core/integration/integration.entity";
import { Version } from "@stackfleet/core/version";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/api/app";
import { callApi, connectedIntegration, createTestApi, type TestApi, testTemplate } from "./support/api";

/**
 * What each read route costs in DynamoDB requests, counted on the document client every request
 * goes through. Counts, not timings: a route whose requests grow with the data fails here.
 */
let api: TestApi;
let tenant: Record<string, string>;
let operator: Record<string, string>;
let integrationId: string;
const sent: string[] = [];

const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  callApi(api.app, method, path, headers, body);

/** The DynamoDB operations `fn` sent, by name (e.g. `QueryCommand`). */
async function requestsOf(fn: () => Promise<unknown>): Promise<string[]> {
  sent.length = 0;
  await fn();
  return [...sent];
}

/** GET `path` expecting 200; the requests it made. */
async function get(path: string, headers = tenant, app = api.app): Promise<{ body: any; requests: string[] }> {
  let body: any;
  const requests = await requestsOf(async () => {
    const res = await app.request(path, { headers });
    expect(res.status, path).toBe(200);
    body = await res.json();
  });
  return { body, requests };
}

async function publish(version: string) {
  const res = await call("POST", "/v1/versions", operator, { version, template: testTemplate(version) });
  expect(res.status).toBe(201);
  return res.json();
}

beforeAll(async () => {
  api = await createTestApi();
  const client = api.store.documentClient;
  const send = client.send.bind(client);
  client.send = ((command: object, ...rest: unknown[]) => {
    sent.push(command.constructor.name);
    return (send as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof client.send;
  tenant = await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" });
  operator = await api.headersFor({ role: "operator", subject: "ops@acme" });
  await publish("1.0.0");
  integrationId = await connectedIntegration(api.deps, "ten_a", "333333333333", { currentSequence: 1 });
  await connectedIntegration(api.deps, "ten_b", "444444444444", { currentSequence: 1 });
  await publish("1.1.0");
}, 60_000);

describe("DynamoDB requests per route", () => {
  it("the integration detail is one query and one batch, however many versions are published", async () => {
    await get(`/v1/integrations/${integrationId}`);
    const before = await get(`/v1/integrations/${integrationId}`);
    expect(before.requests).toEqual(["QueryCommand", "BatchGetCommand"]);
    expect(before.body.pendingUpdate).toMatchObject({ version: "1.1.0", from: "1.0.0" });
    expect(before.body.updateStatus).toMatchObject({ state: "update_scheduled", version: "1.1.0" });
    expect(before.body.install).toMatchObject({ version: "1.1.0" });
    expect(before.body.history).toHaveLength(1);
    expect(before.body.recentEvents.map((e: { action: string }) => e.action)).toContain("update.scheduled");

    for (const version of ["1.2.0", "1.3.0", "1.4.0", "1.5.0", "1.6.0"]) await publish(version);
    const after = await get(`/v1/integrations/${integrationId}`);
    expect(after.requests).toEqual(["QueryCommand", "BatchGetCommand"]);
    expect(after.body.install).toMatchObject({ version: "1.6.0" });
    expect(after.body.history.length).toBeGreaterThan(1);
    expect(after.body.pendingUpdate).toMatchObject({ from: "1.0.0" });
  });

  it("a process that has not seen the newest version yet pays one query more, then it knows", async () => {
    // A second API instance over the same table (another Lambda), and a version it did not publish.
    const other = createApp(
      { ...api.deps, service: createService(api.store.documentClient, api.store.tableName) },
      { log: { error: () => {} } },
    );
    const cold = await get(`/v1/integrations/${integrationId}`, tenant, other);
    expect(cold.requests).toEqual(["QueryCommand", "QueryCommand", "BatchGetCommand"]);
    await publish("1.7.0");
    const stale = await get(`/v1/integrations/${integrationId}`, tenant, other);
    expect(stale.body.install).toMatchObject({ version: "1.7.0" });
    expect(stale.requests).toHaveLength(3);
    expect((await get(`/v1/integrations/${integrationId}`, tenant, other)).requests).toHaveLength(2);
  });

  it("a halted newest version still finds the latest published one in the same batch", async () => {
    const newest = (await get("/v1/versions?limit=1", operator)).body.items[0].version;
    expect((await call("POST", `/v1/versions/${newest}/halt`, operator, { reason: "check" })).status).toBe(200);
    const halted = await get(`/v1/integrations/${integrationId}`);
    expect(halted.requests).toHaveLength(2);
    expect(halted.body.install.version).not.toBe(newest);
    expect((await call("POST", `/v1/versions/${newest}/resume`, operator)).status).toBe(200);
  });

  it("list routes cost the same with more integrations, versions and events, within their bound", async () => {
    // Fleet views read the fleet from the planning index: one query per shard and plan state.
    const shards = 2 * PLAN_SHARDS;
    // A version's runs sit in write shards (db/write-shards.ts): one query per shard, whatever their number.
    const routes: Array<[path: string, headers: Record<string, string>, bound: number]> = [
      ["/v1/integrations", tenant, 1],
      [`/v1/integrations/${integrationId}/events`, tenant, 2],
      ["/v1/events?tenantId=ten_a", operator, 1],
      ["/v1/versions", operator, 1],
      ["/v1/fleet/audit", operator, 1],
      // The version, then one page from every run shard.
      ["/v1/fleet/versions/1.1.0/runs", operator, 1 + WRITE_SHARDS],
      // The version, its runs (one page here) from every shard, the wave tallies, the global halt.
      ["/v1/rollouts/1.1.0", operator, 1 + WRITE_SHARDS + 2],
      ["/v1/fleet/tenants", operator, shards],
      ["/v1/fleet/versions", operator, shards + 1],
      // A page: one runs query per integration shown, one batch for halts, versions and changelogs.
      ["/v1/fleet/integrations?limit=2", operator, shards + 2 + 1],
    ];
    const counts = async () => {
      // The newest-version hint expires after 10 s of real time (version.ts): refresh it first so
      // both passes start alike however slow the machine is between them.
      await Version.latest(api.deps);
      const out: Record<string, number> = {};
      for (const [path, headers] of routes) out[path] = (await get(path, headers)).requests.length;
      return out;
    };
    const before = await counts();
    for (const account of ["555555555555", "666666666666", "777777777777"])
      await connectedIntegration(api.deps, "ten_a", account, { currentSequence: 1 });
    await publish("1.8.0");
    const after = await counts();
    expect(after).toEqual(before);
    for (const [path, , bound] of routes) expect(after[path], path).toBeLessThanOrEqual(bound);
  });
});
