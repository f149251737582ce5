import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog";
import { Integration } from "@stackfleet/core/integration";
import { silentLog } from "@stackfleet/core/log";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import { createLocalNotifier } from "@stackfleet/local/dev/notifier";
import { createLocalSigner } from "@stackfleet/local/dev/signer";
import { LocalTemplateStore } from "@stackfleet/local/dev/template-store";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createTestStore } from "../../../test/support/store";
import { rolloutInProcess } from "../src/plan-continuation";
import { type ApiAdapters, type ApiSettings, wireApi } from "../src/wiring/api";
import { wireExecutor } from "../src/wiring/executor";
import { schedulerNotConfigured } from "../src/wiring/scheduler";
import { createTestAuth } from "./support/auth";
import { executorEnv, wiringProduct, wiringSchedule } from "./support/lambda-env";

const product = wiringProduct;
const schedule = wiringSchedule;
const lambdaEnv = {
  ...executorEnv,
  STACKFLEET_NOTIFICATION_TOPIC_ARN: "arn:aws:sns:us-east-1:111111111111:notes",
  STACKFLEET_JWT_ISSUER: "https://idp.example.com/",
  STACKFLEET_JWT_AUDIENCE: "stackfleet",
  STACKFLEET_JWKS_URL: "https://idp.example.com/.well-known/jwks.json",
  STACKFLEET_CURSOR_KEY: Buffer.alloc(32, 7).toString("base64"),
  STACKFLEET_PLANNER_FUNCTION: "acme-planner",
};

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

const stubEnv = (env: Record<string, string>) => {
  for (const name of Object.keys(lambdaEnv)) vi.stubEnv(name, "");
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
};

describe("Lambda entries", () => {
  it("refuse to cold-start half-configured, naming every missing variable", async () => {
    const { STACKFLEET_TABLE: _, STACKFLEET_PINNED_KEYS: __, ...rest } = lambdaEnv;
    stubEnv(rest);
    await expect(import("../src/executor")).rejects.toThrow(/STACKFLEET_TABLE: is not set.*STACKFLEET_PINNED_KEYS/);
    vi.resetModules();
    await expect(import("../src/api/lambda")).rejects.toThrow(/STACKFLEET_TABLE: is not set.*STACKFLEET_PINNED_KEYS/);
  });

  it("compose from the environment alone: the API answers without touching AWS", async () => {
    stubEnv(lambdaEnv);
    expect(typeof (await import("../src/executor")).handler).toBe("function");
    // The planner composes from the same environment and drops what is not a plan hand-over.
    const planner = await import("../src/planner");
    expect(await planner.handler({ not: "a plan" }, { getRemainingTimeInMillis: () => 900_000 } as any)).toEqual({
      result: "rejected",
    });
    const { handler } = await import("../src/api/lambda");
    const event = {
      version: "2.0",
      routeKey: "$default",
      rawPath: "/v1/integrations",
      rawQueryString: "",
      headers: { host: "api.example.com" },
      requestContext: { http: { method: "GET", path: "/v1/integrations", sourceIp: "203.0.113.9" }, stage: "$default" },
      isBase64Encoded: false,
    };
    const context = { getRemainingTimeInMillis: () => 29_000 };
    const response = (await handler(event as any, context as any)) as { statusCode: number; body: string };
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body)).toMatchObject({ error: { code: expect.any(String) } });
  });
});

describe("wiring with local adapters", () => {
  it("wires the executor onto the given table: a malformed schedule input is recorded and refused", async () => {
    const store = await createTestStore();
    const dir = await mkdtemp(join(tmpdir(), "stackfleet-wiring-"));
    const { core, handle } = wireExecutor(
      {
        product,
        tableName: store.tableName,
        pinnedKeys: [],
        schedule,
        floor: { updaterTable: "unused", minGraceHours: 24 },
      },
      {
        documentClient: store.documentClient,
        now: store.now,
        templates: new LocalTemplateStore(dir),
        access: { open: async () => Promise.reject(new Error("no customer access in this test")) },
        schedulerClient: new SchedulerClient({ region: "us-east-1", endpoint: "http://127.0.0.1:9", maxAttempts: 1 }),
      },
    );
    expect(core.now()).toEqual(store.now());
    const result = await handle({ runId: "not-a-run" }, { remainingMs: () => 60_000, log: silentLog });
    expect(result).toMatchObject({ result: "rejected" });
    const { data } = await core.service.entities.event.scan.go();
    expect(data.map((e) => e.action)).toContain("executor.input-rejected");
  });

  /** The API composed as lambda.ts does, on local adapters; `settings` adds the optional tuning. */
  async function localApi(settings: Partial<ApiSettings> = {}) {
    const store = await createTestStore();
    const dir = await mkdtemp(join(tmpdir(), "stackfleet-wiring-"));
    const signer = await createLocalSigner(join(dir, "key.pem"));
    const { auth, headersFor } = await createTestAuth(store.now);
    const notifier = createLocalNotifier();
    const adapters: ApiAdapters = {
      documentClient: store.documentClient,
      now: store.now,
      auth,
      access: { probe: { tryAssume: vi.fn(), readStack: vi.fn() } },
      release: { signer, store: new LocalTemplateStore(dir), pinnedKeys: [await pinnedKeyOf(signer)] },
      planner: (core) => rolloutInProcess(core, { scheduler: schedulerNotConfigured, notifier }),
      log: { error: () => undefined },
    };
    const base = { product, tableName: store.tableName, grace: DEFAULT_GRACE_POLICY, manifestLifetimeDays: 90 };
    const wire = () => wireApi({ ...base, ...settings }, adapters);
    return { store, headersFor, wire, ...wire() };
  }

  it("wires the API onto the given table with the given verifier, store and planner", async () => {
    const { store, headersFor, deps, app } = await localApi();
    expect(deps).toMatchObject({ tableName: store.tableName, config: product, access: { stackPrefix: "Acme" } });
    expect(deps.publishing).toMatchObject({ product: "acme", stackPrefix: "Acme", manifestLifetimeDays: 90 });
    const health = await app.request("/health");
    expect(await health.json()).toMatchObject({ store: { reachable: true }, time: store.now().toISOString() });
    const listed = await app.request("/v1/integrations", {
      headers: await headersFor({ role: "tenant-admin", tenantId: "ten_A" }),
    });
    expect(listed.status).toBe(200);
  });

  it("shares the configured cursor key across instances, answers CORS for configured origins only, keeps pending integrations the configured days", async () => {
    const cursorKey = new Uint8Array(Buffer.alloc(32, 9));
    const api = await localApi({ cursorKey, corsOrigins: ["https://dash.acme.test"], pendingDays: 2 });
    const tenant = await api.headersFor({ role: "tenant-admin", tenantId: "ten_A" });
    for (const accountId of ["333333333333", "333333333334"]) {
      const created = await api.app.request("/v1/integrations", {
        method: "POST",
        headers: { ...tenant, "content-type": "application/json" },
        body: JSON.stringify({ accountId, region: "eu-west-1" }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const stored = await Integration.get(api.deps, "ten_A", id);
      expect(Date.parse(stored.pendingUntil!) - api.store.now().getTime()).toBe(2 * 86_400_000);
    }
    const first = await api.app.request("/v1/integrations?limit=1", { headers: tenant });
    const { cursor } = (await first.json()) as { cursor: string };
    // Another Lambda instance: same configuration, separate process state.
    const other = api.wire();
    const next = await other.app.request(`/v1/integrations?limit=1&cursor=${cursor}`, { headers: tenant });
    expect(next.status).toBe(200);
    const preflight = (origin: string) =>
      other.app.request("/v1/integrations", {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "GET" },
      });
    expect((await preflight("https://dash.acme.test")).headers.get("access-control-allow-origin")).toBe(
      "https://dash.acme.test",
    );
    expect((await preflight("https://evil.test")).headers.get("access-control-allow-origin")).toBeNull();
  });
});
