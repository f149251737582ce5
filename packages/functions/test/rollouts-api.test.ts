import { generateKeyPairSync } from "node:crypto";
import { GetScheduleCommand, ListSchedulesCommand } from "@aws-sdk/client-scheduler";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import { LocalKeySigner } from "@stackfleet/local/dev/signer";
import { beforeEach, describe, expect, it } from "vitest";
import { connectedIntegration, createTestApi, createTestPublishing, type TestApi, testTemplate } from "./support/api";

const HOUR = 3_600_000;
const template = (templateVersion: string) => testTemplate(templateVersion);

let api: TestApi;
let tenantA: Record<string, string>;
let tenantB: Record<string, string>;
let operator: Record<string, string>;
let a: string;
let b: string;

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

/** name → at() of every schedule in this app's group, listed through the SDK. */
async function schedules(): Promise<Record<string, string>> {
  const { client, group } = api.scheduler;
  const out: Record<string, string> = {};
  const page = await client.send(new ListSchedulesCommand({ GroupName: group }));
  for (const s of page.Schedules ?? []) {
    out[s.Name!] = (await client.send(new GetScheduleCommand({ GroupName: group, Name: s.Name! }))).ScheduleExpression!;
  }
  return out;
}
const scheduleOf = async (integrationId: string) => {
  const detail = await read(await call("GET", `/v1/integrations/${integrationId}`, operatorFor(integrationId)));
  return detail.history as { id: string; state: string; attempt: number }[];
};
const owners = new Map<string, string>();
const operatorFor = (integrationId: string) => (owners.get(integrationId) === "ten_a" ? tenantA : tenantB);
const at = (iso: string) => `at(${iso.slice(0, 19)})`;

async function setup(overrides: Parameters<typeof createTestApi>[0] = {}) {
  api = await createTestApi(overrides);
  tenantA = await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" });
  tenantB = await api.headersFor({ role: "tenant-admin", tenantId: "ten_b" });
  operator = await api.headersFor({ role: "operator", subject: "ops@acme" });
  // No canary in these tests: every run goes at grace end.
  await api.deps.service.entities.control
    .put({
      name: "rollout-policy",
      halted: false,
      policy: { maxConcurrent: { count: 10 }, failureTolerance: { count: 1 } },
      updatedAt: api.store.now().toISOString(),
    })
    .go();
  a = await connected("ten_a", "333333333333");
  b = await connected("ten_b", "444444444444");
  owners.set(a, "ten_a").set(b, "ten_b");
}

describe("publishing plans the rollout", () => {
  beforeEach(() => setup());

  it("schedules every eligible integration at grace end and shows the customer the pending update", async () => {
    const res = await call("POST", "/v1/versions", operator, { version: "1.1.0", template: template("1.1.0") });
    expect(res.status).toBe(201);
    const published = await read(res);
    expect(published.plan).toEqual({ planned: 2, existing: 0, skipped: 0, rescheduled: 0, continuing: false });
    const all = await schedules();
    expect(Object.values(all)).toEqual([at(published.graceEndsAt), at(published.graceEndsAt)]);

    const detail = await read(await call("GET", `/v1/integrations/${a}`, tenantA));
    expect(detail.pendingUpdate).toMatchObject({
      version: "1.1.0",
      scheduledFor: published.graceEndsAt,
      changelogSummary: published.changelogSummary,
    });
    expect(detail.history).toEqual([expect.objectContaining({ version: "1.1.0", state: "scheduled", attempt: 1 })]);
    expect(
      api.notifications
        .filter((n) => n.action === "update.scheduled")
        .map((n) => n.integrationId)
        .sort(),
    ).toEqual([a, b].sort());

    // Planning again (operators) is idempotent.
    const again = await call("POST", "/v1/rollouts/1.1.0/plan", operator);
    expect(await read(again)).toMatchObject({ planned: 0, existing: 2 });
    expect(await schedules()).toEqual(all);
    expect((await call("POST", "/v1/rollouts/1.1.0/plan", tenantA)).status).toBe(403);
  });

  it("waits for approval when it is required, and plans on the approver key's signature", async () => {
    const publishing = await createTestPublishing();
    const approver = new LocalKeySigner(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
    await setup({
      publishing: {
        ...publishing,
        approverKeys: [await pinnedKeyOf(approver)],
        grace: { ...publishing.grace, requireApprovalWhenBroadened: true },
      },
    });
    const published = await read(
      await call("POST", "/v1/versions", operator, { version: "1.1.0", template: template("1.1.0") }),
    );
    expect(published).toMatchObject({ approvalRequired: true, plan: null });
    expect(await schedules()).toEqual({});
    // An operator's say-so alone approves nothing.
    expect((await call("POST", "/v1/versions/1.1.0/approve", operator)).status).toBe(400);
    const signature = await approver.sign(Buffer.from(published.signed.manifest, "base64"));
    const approved = await read(
      await call("POST", "/v1/versions/1.1.0/approve", operator, {
        keyId: approver.keyId,
        signature: Buffer.from(signature).toString("base64"),
      }),
    );
    expect(approved.plan).toMatchObject({ planned: 2 });
    expect(Object.keys(await schedules())).toHaveLength(2);
  });
});

describe("customer controls over the API", () => {
  let graceEndsAt: string;
  beforeEach(async () => {
    await setup();
    graceEndsAt = (
      await read(await call("POST", "/v1/versions", operator, { version: "1.1.0", template: template("1.1.0") }))
    ).graceEndsAt;
  });

  it("skip cancels the waiting update and deletes its schedule; un-skip plans it again; both are notified", async () => {
    const res = await call("POST", `/v1/integrations/${a}/skips`, tenantA, { version: "1.1.0" });
    expect(res.status).toBe(200);
    expect(await read(res)).toMatchObject({ cancelled: 1, integration: { skippedVersions: ["1.1.0"] } });
    expect(Object.keys(await schedules())).toHaveLength(1); // b's only
    expect((await read(await call("GET", `/v1/integrations/${a}`, tenantA))).pendingUpdate).toBeNull();

    const feed = await read(await call("GET", "/v1/events", tenantA));
    expect(feed.items.filter((e: any) => e.notify).map((e: any) => e.action)).toEqual(
      expect.arrayContaining(["version.skipped", "update.cancelled"]),
    );
    expect(feed.items.every((e: any) => e.integrationId === undefined || e.integrationId === a)).toBe(true);
    expect(api.notifications.map((n) => n.action)).toEqual(
      expect.arrayContaining(["version.skipped", "update.cancelled"]),
    );

    const back = await read(await call("DELETE", `/v1/integrations/${a}/skips/1.1.0`, tenantA));
    expect(back).toMatchObject({
      integration: { skippedVersions: [] },
      planned: { attempt: 2, state: "scheduled", scheduledFor: graceEndsAt },
    });
    expect(Object.keys(await schedules())).toHaveLength(2);
    expect(await read(await call("DELETE", `/v1/integrations/${a}/skips/1.1.0`, tenantA))).toMatchObject({
      error: { code: "skip_not_found" },
    });
  });

  it("update now is 409 in the grace period and moves the update to now afterwards", async () => {
    const early = await call("POST", `/v1/integrations/${a}/updates`, tenantA, { version: "1.1.0" });
    expect(early.status).toBe(409);
    expect(await read(early)).toMatchObject({
      error: { code: "in_grace_period", message: expect.stringContaining(graceEndsAt) },
    });

    api.store.clock.set(new Date(Date.parse(graceEndsAt) + HOUR));
    tenantA = await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" });
    const res = await call("POST", `/v1/integrations/${a}/updates`, tenantA, { version: "1.1.0" });
    expect(res.status).toBe(202);
    const run = await read(res);
    // The time reported is the time the schedule fires: Scheduler always gets a minute's lead.
    const fires = new Date(api.store.now().getTime() + 60_000).toISOString();
    expect(run).toMatchObject({ wave: "manual", state: "scheduled", scheduledFor: fires });
    expect(Object.entries(await schedules()).find(([name]) => name.startsWith(run.id))?.[1]).toBe(at(fires));
  });

  it("a maintenance window moves the waiting update into it; clearing it moves it back", async () => {
    const window = { days: [3], startMinute: 60, durationMinutes: 120, timezone: "UTC" };
    const set = await read(await call("PUT", `/v1/integrations/${a}/maintenance-window`, tenantA, window));
    expect(set.integration.maintenanceWindow).toEqual(window);
    expect(set.moved).toHaveLength(1);
    // Grace ends Tuesday 2026-11-24 12:00 UTC; the next Wednesday 01:00 UTC is the 25th.
    expect(set.moved[0].scheduledFor).toBe("2026-11-25T01:00:00.000Z");
    expect(Object.values(await schedules())).toContain("at(2026-11-25T01:00:00)");
    const cleared = await read(await call("DELETE", `/v1/integrations/${a}/maintenance-window`, tenantA));
    expect(cleared.integration.maintenanceWindow).toBeUndefined();
    expect(Object.values(await schedules())).toEqual([at(graceEndsAt), at(graceEndsAt)]);
  });

  it("auto-update off cancels and deletes; on plans after a fresh grace period; removal cancels", async () => {
    await call("PATCH", `/v1/integrations/${a}`, tenantA, { autoUpdate: false });
    expect(Object.keys(await schedules())).toHaveLength(1);
    expect((await scheduleOf(a))[0]).toMatchObject({ state: "cancelled" });

    api.store.clock.advance(100 * HOUR);
    tenantA = await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" });
    await call("PATCH", `/v1/integrations/${a}`, tenantA, { autoUpdate: true });
    const pending = (await read(await call("GET", `/v1/integrations/${a}`, tenantA))).pendingUpdate;
    expect(pending).toMatchObject({
      version: "1.1.0",
      attempt: 2,
      scheduledFor: new Date(api.store.now().getTime() + 24 * HOUR).toISOString(),
    });

    await call("DELETE", `/v1/integrations/${a}`, tenantA);
    expect(Object.keys(await schedules())).toHaveLength(1);
    expect((await read(await call("GET", `/v1/integrations/${a}`, tenantA))).pendingUpdate).toBeNull();
  });

  it("shows another tenant's integration as 404 on every control and changes nothing", async () => {
    const before = await schedules();
    const attempts: Array<[string, string, unknown?]> = [
      ["POST", `/v1/integrations/${a}/skips`, { version: "1.1.0" }],
      ["DELETE", `/v1/integrations/${a}/skips/1.1.0`],
      ["POST", `/v1/integrations/${a}/updates`, { version: "1.1.0" }],
      [
        "PUT",
        `/v1/integrations/${a}/maintenance-window`,
        { days: [1], startMinute: 0, durationMinutes: 60, timezone: "UTC" },
      ],
      ["DELETE", `/v1/integrations/${a}/maintenance-window`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await call(method, path, tenantB, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await read(res)).toMatchObject({ error: { code: "integration_not_found" } });
    }
    expect(await schedules()).toEqual(before);
    expect((await read(await call("GET", `/v1/integrations/${a}`, tenantA))).skippedVersions).toEqual([]);
  });

  it("answers bad input with 400 (or 404 for an unknown version) and changes nothing", async () => {
    const before = await schedules();
    const cases: Array<[string, string, unknown, number, string]> = [
      ["POST", `/v1/integrations/${a}/skips`, { version: "latest" }, 400, "invalid_request"],
      ["POST", `/v1/integrations/${a}/skips`, { version: "1.1.0", extra: true }, 400, "invalid_request"],
      ["POST", `/v1/integrations/${a}/skips`, { version: "9.9.9" }, 404, "version_not_found"],
      ["POST", `/v1/integrations/${a}/updates`, {}, 400, "invalid_request"],
      [
        "PUT",
        `/v1/integrations/${a}/maintenance-window`,
        { days: [7], startMinute: 0, durationMinutes: 60, timezone: "UTC" },
        400,
        "invalid_request",
      ],
      [
        "PUT",
        `/v1/integrations/${a}/maintenance-window`,
        { days: [1], startMinute: 0, durationMinutes: 10, timezone: "UTC" },
        400,
        "invalid_request",
      ],
      [
        "PUT",
        `/v1/integrations/${a}/maintenance-window`,
        { days: [1], startMinute: 0, durationMinutes: 60, timezone: "+01:00" },
        400,
        "invalid_request",
      ],
    ];
    for (const [method, path, body, status, code] of cases) {
      const res = await call(method, path, tenantA, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(await read(res)).toMatchObject({ error: { code } });
    }
    expect(await schedules()).toEqual(before);
    const detail = await read(await call("GET", `/v1/integrations/${a}`, tenantA));
    expect(detail).toMatchObject({ skippedVersions: [], pendingUpdate: { attempt: 1 } });
    expect(detail.maintenanceWindow).toBeUndefined();
  });
});

describe("operator rollout controls over the API", () => {
  beforeEach(async () => {
    await setup();
    await call("POST", "/v1/versions", operator, { version: "1.1.0", template: template("1.1.0") });
  });

  it("shows progress by state and wave to operators only", async () => {
    expect((await call("GET", "/v1/rollouts/1.1.0", tenantA)).status).toBe(403);
    const res = await call("GET", "/v1/rollouts/1.1.0", operator);
    expect(res.status).toBe(200);
    const body = await read(res);
    expect(body).toMatchObject({
      version: "1.1.0",
      state: "published",
      fleetSize: 2,
      byState: { scheduled: 2 },
      failures: [],
    });
    const waves = Object.values(body.waves) as { size: number }[];
    expect(waves.reduce((n, w) => n + w.size, 0)).toBe(2);
    expect((await call("GET", "/v1/rollouts/9.9.9", operator)).status).toBe(404);
  });

  it("lets operators read and set the rollout policy; a bad one is a 400 and changes nothing", async () => {
    expect((await call("GET", "/v1/rollouts/policy", tenantA)).status).toBe(403);
    expect(await read(await call("GET", "/v1/rollouts/policy", operator))).toMatchObject({
      maxConcurrent: { count: 10 },
      failureTolerance: { count: 1 },
    });
    const policy = {
      canary: { integrationIds: [a] },
      coolingOffHours: 12,
      maxConcurrent: { percentage: 20 },
      failureTolerance: { percentage: 10 },
      graceHours: 48,
    };
    const put = await call("PUT", "/v1/rollouts/policy", operator, policy);
    expect(put.status).toBe(200);
    expect(await read(put)).toEqual(policy);
    for (const bad of [
      { ...policy, failureTolerance: { percentage: 150 } },
      { ...policy, canary: {} },
      { ...policy, surprise: true },
    ]) {
      const res = await call("PUT", "/v1/rollouts/policy", operator, bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await call("PUT", "/v1/rollouts/policy", tenantA, policy)).status).toBe(403);
    expect(await read(await call("GET", "/v1/rollouts/policy", operator))).toEqual(policy);
    // Events about no tenant (a policy change) sit in the system-wide "-" partition of the tenant index.
    const events = await read(await call("GET", "/v1/events?tenantId=-", operator));
    expect(events.items.filter((e: any) => e.action === "rollout-policy.changed")).toHaveLength(1);
    // 1.1.0 keeps the policy it started with.
    expect((await read(await call("GET", "/v1/rollouts/1.1.0", operator))).policy).toMatchObject({
      maxConcurrent: { count: 10 },
    });
  });

  it("halt deletes the waiting schedules as a courtesy; resume creates them again", async () => {
    const halted = await call("POST", "/v1/versions/1.1.0/halt", operator, { reason: "investigating" });
    expect(await read(halted)).toMatchObject({ state: "halted", stateReason: "investigating" });
    expect(await schedules()).toEqual({});
    expect(await read(await call("GET", "/v1/rollouts/1.1.0", operator))).toMatchObject({
      state: "halted",
      byState: { scheduled: 2 },
    });

    const resumed = await read(await call("POST", "/v1/versions/1.1.0/resume", operator));
    expect(resumed).toMatchObject({ state: "published", plan: { planned: 0, existing: 2 } });
    expect(Object.keys(await schedules()).every((name) => name.endsWith(".run.2"))).toBe(true);
    expect(Object.keys(await schedules())).toHaveLength(2);

    await call("POST", "/v1/controls/halt", operator, { reason: "incident" });
    expect(await schedules()).toEqual({});
    await call("POST", "/v1/controls/resume", operator);
    expect(Object.keys(await schedules())).toHaveLength(2);
  });
});

describe("review regressions", () => {
  beforeEach(() => setup());

  it("re-planning after grace end changes and announces nothing", async () => {
    const published = await read(
      await call("POST", "/v1/versions", operator, { version: "1.1.0", template: template("1.1.0") }),
    );
    api.store.clock.set(new Date(new Date(published.graceEndsAt).getTime() + HOUR));
    operator = await api.headersFor({ role: "operator", subject: "ops@acme" });
    const before = await schedules();
    for (let i = 0; i < 2; i++) {
      expect(await read(await call("POST", "/v1/rollouts/1.1.0/plan", operator))).toMatchObject({
        planned: 0,
        rescheduled: 0,
      });
    }
    expect(await schedules()).toEqual(before);
    expect(api.notifications.filter((n) => n.action === "update.rescheduled")).toEqual([]);
  });

  it("resumes a halted version that still awaits approval without a 409", async () => {
    await api.deps.service.entities.control
      .put({
        name: "rollout-policy",
        halted: false,
        policy: { maxConcurrent: { count: 10 }, failureTolerance: { count: 1 } },
        updatedAt: api.store.now().toISOString(),
      })
      .go();
    const published = await read(
      await call("POST", "/v1/versions", operator, { version: "1.1.0", template: template("1.1.0") }),
    );
    await api.deps.service.entities.version
      .patch({ sequence: published.sequence })
      .set({ approvalRequired: true })
      .go();
    expect((await call("POST", "/v1/versions/1.1.0/halt", operator)).status).toBe(200);
    const resumed = await call("POST", "/v1/versions/1.1.0/resume", operator);
    expect(resumed.status).toBe(200);
    // Its waiting runs are woken; nothing new is planned before the approval.
    expect(await read(resumed)).toMatchObject({ state: "published", plan: { planned: 0, rescheduled: 2 } });
    expect((await call("POST", "/v1/controls/halt", operator)).status).toBe(200);
    expect((await call("POST", "/v1/controls/resume", operator)).status).toBe(200);
  });
});
