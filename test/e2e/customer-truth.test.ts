import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture, TENANT } from "../support/executor-fixture";
import { stopExpectingNoErrors } from "../support/local-stack";

/**
 * Issue 14's story through the HTTP API and the sandbox: 1.1.0 adds one permission (broadening);
 * the skipper skips it, the stayer takes it, the opt-out turns auto-update off in its stack.
 * Then 1.2.0 changes no permission against 1.1.0 — yet for the skipper it is the version that
 * adds that permission, with the longer grace.
 */
let f: ExecutorFixture;
let operator: string;
let tenant: string;
const who: Record<"skipper" | "stayer" | "optOut", IntegrationRecord> = {} as never;
const HOUR = 3_600_000;
const added = [{ Effect: "Allow" as const, Action: ["s3:GetBucketPolicy"], Resource: "*" }];

const api = async (method: string, path: string, token: string, body?: unknown) => {
  const res = await f.stack.api(method, path, token, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res.body;
};
const detail = (integration: IntegrationRecord) => api("GET", `/v1/integrations/${integration.integrationId}`, tenant);
const publish = (version: string) =>
  api("POST", "/v1/versions", operator, { version, template: f.templateFor(version, added) });

beforeAll(async () => {
  f = await startExecutorFixture();
  who.skipper = await f.connect("333333333333", "eu-west-1");
  who.stayer = await f.connect("444444444444", "eu-west-1");
  who.optOut = await f.connect("555555555555", "eu-west-1");
  operator = await f.stack.tokenFor("operator", undefined, { ttl: "30d" });
  tenant = await f.stack.tokenFor("tenant-admin", TENANT, { ttl: "30d" });
  // No canary: the story is about what each customer sees, not about waves.
  await api("PUT", "/v1/rollouts/policy", operator, {
    maxConcurrent: { count: 10 },
    failureTolerance: { count: 1 },
  });
}, 180_000);
afterAll(() => stopExpectingNoErrors(f?.stack));

describe("what each customer sees is true", () => {
  it("1.1.0 broadens: everyone sees it scheduled after the longer grace", async () => {
    const v = await publish("1.1.0");
    expect(v).toMatchObject({ version: "1.1.0", permissionsBroadened: true });
    expect(Date.parse(v.graceEndsAt) - Date.parse(v.createdAt)).toBe(72 * HOUR);
    for (const integration of Object.values(who)) {
      const body = await detail(integration);
      expect(body.updateStatus).toMatchObject({ state: "update_scheduled", version: "1.1.0" });
      expect(body.pendingUpdate).toMatchObject({ version: "1.1.0", from: "1.0.0", permissionsBroadened: true });
    }
  });

  it("a skip holds; an opt-out in the stack is opted_out with no pending update", async () => {
    await api("POST", `/v1/integrations/${who.skipper.integrationId}/skips`, tenant, { version: "1.1.0" });
    expect((await detail(who.skipper)).updateStatus).toEqual({ state: "skipped", version: "1.1.0" });
    expect((await detail(who.skipper)).pendingUpdate).toBeNull();

    expect(await f.setStackAutoUpdate(who.optOut, false)).toBe("UPDATE_COMPLETE");
    const optedOut = await detail(who.optOut);
    expect(optedOut.updateStatus).toMatchObject({ state: "opted_out", via: "in_stack" });
    expect(optedOut.pendingUpdate).toBeNull();
    // Seeing the opt-out cancels the waiting run at once, with the customer told, not when it fires.
    expect((await f.runsOf(who.optOut.integrationId)).filter((r) => r.version === "1.1.0")).toEqual([
      expect.objectContaining({ state: "cancelled", reason: "EnableAutoUpdate=false on the customer stack" }),
    ]);
    const fleet = await api("GET", "/v1/fleet/integrations?status=opted_out", operator);
    expect(fleet.items.map((i: { id: string }) => i.id)).toEqual([who.optOut.integrationId]);
  }, 120_000);

  it("the stayer is updated to 1.1.0 at its grace end and is then up to date", async () => {
    const { pendingUpdate } = await detail(who.stayer);
    // Well past the run: the executor's watch polls move the manual clock while a delivery runs,
    // and a target they overtake would make the sandbox's stepping go back in time.
    const now = f.stack.sandbox.clock.now().getTime();
    await f.advanceBy(Date.parse(pendingUpdate.scheduledFor) - now + 30 * 60_000);
    const stayer = await detail(who.stayer);
    expect(stayer.currentVersion, JSON.stringify(stayer.history)).toBe("1.1.0");
    expect(stayer.updateStatus).toEqual({ state: "up_to_date", version: "1.1.0" });
    expect(stayer.pendingUpdate).toBeNull();
    const distribution = await api("GET", "/v1/fleet/versions", operator);
    expect(distribution.items).toEqual([
      { version: "1.1.0", state: "published", integrations: 1 },
      { version: "1.0.0", state: "published", integrations: 2 },
    ]);
  }, 180_000);

  it("1.2.0 shows the skipped broadening and its longer grace to the skipper, not to the stayer", async () => {
    const v = await publish("1.2.0");
    // Against the previous published version nothing about permissions changes: the short grace.
    expect(v).toMatchObject({ permissionsBroadened: false });
    expect(Date.parse(v.graceEndsAt) - Date.parse(v.createdAt)).toBe(24 * HOUR);

    const skipper = await detail(who.skipper);
    expect(skipper.pendingUpdate).toMatchObject({ version: "1.2.0", from: "1.0.0", permissionsBroadened: true });
    expect(skipper.pendingUpdate.changelogSummary).toMatch(/Broadens permissions/);
    expect(Date.parse(skipper.pendingUpdate.graceEndsAt) - Date.parse(v.createdAt)).toBe(72 * HOUR);
    expect(Date.parse(skipper.pendingUpdate.scheduledFor)).toBeGreaterThanOrEqual(
      Date.parse(skipper.pendingUpdate.graceEndsAt),
    );
    expect(skipper.updateStatus).toMatchObject({ state: "update_scheduled", version: "1.2.0" });

    const stayer = await detail(who.stayer);
    expect(stayer.pendingUpdate).toMatchObject({ version: "1.2.0", from: "1.1.0", permissionsBroadened: false });
    expect(stayer.pendingUpdate.graceEndsAt).toBe(v.graceEndsAt);
    expect(stayer.pendingUpdate.changelogSummary).not.toMatch(/Broadens/);

    // The skipper's full changelog: 1.1.0's added permission is in it.
    const changelog = await api("GET", "/v1/versions/1.2.0/changelog?from=1.0.0", tenant);
    expect(changelog.permissionsBroadened).toBe(true);
    expect(changelog.permissions.added.map((p: { action: string }) => p.action)).toContain("s3:GetBucketPolicy");
    expect((await detail(who.optOut)).pendingUpdate).toBeNull();

    // Update now is refused until the skipper's own (longer) grace end, not the version's.
    const early = await f.stack.api("POST", `/v1/integrations/${who.skipper.integrationId}/updates`, tenant, {
      version: "1.2.0",
    });
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: "in_grace_period" });
    expect(early.body.error.message).toContain(skipper.pendingUpdate.graceEndsAt);
  }, 120_000);

  it("halts pause every waiting update and show on the version; the template downloads verified", async () => {
    await api("POST", "/v1/versions/1.2.0/halt", operator, { reason: "checking a report" });
    for (const integration of [who.skipper, who.stayer]) {
      expect((await detail(integration)).updateStatus).toEqual({
        state: "paused",
        version: "1.2.0",
        halt: "version",
        reason: "checking a report",
      });
    }
    await api("POST", "/v1/controls/halt", operator, { reason: "incident" });
    const rollout = await api("GET", "/v1/rollouts/1.2.0", operator);
    expect(rollout.halts).toEqual([
      { scope: "version", reason: "checking a report", quarantined: false },
      { scope: "global", reason: "incident" },
    ]);
    expect((await detail(who.skipper)).updateStatus).toMatchObject({ state: "paused", halt: "global" });
    const audit = await api("GET", "/v1/fleet/audit", operator);
    expect(audit.items.slice(0, 2).map((e: { action: string }) => e.action)).toEqual([
      "rollouts.halted",
      "version.halted",
    ]);

    const download = await api("GET", "/v1/versions/1.2.0/template", tenant);
    expect(download.template).toBe(f.templateFor("1.2.0", added));
    expect(download.sha256).toBe(download.manifest.template.sha256);
  });

  it("tampered stored bytes quarantine the version; the next changelog comes from verified bytes only", async () => {
    await api("POST", "/v1/controls/resume", operator, {});
    // Play a tampered bucket: the object under 1.2.0's digest now grants iam:*.
    const store = f.deps.publishing.release.store;
    const genuine = new TextEncoder().encode(f.templateFor("1.2.0", added));
    const { location } = await store.put(genuine);
    const tampered = f.templateFor("1.2.0", [{ Effect: "Allow", Action: ["iam:*"], Resource: "*" }]);
    writeFileSync(fileURLToPath(location), tampered);

    const next = await publish("1.3.0");
    expect(next.changelog.from).toBe("1.1.0");
    expect(JSON.stringify(next.changelog)).not.toContain("iam:*");
    const quarantined = await api("GET", "/v1/versions/1.2.0", tenant);
    expect(quarantined).toMatchObject({ state: "halted" });
    expect(quarantined.stateReason).toMatch(/^quarantined: template_mismatch/);
    const refused = await f.stack.api("GET", "/v1/versions/1.2.0/template", tenant);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("version_quarantined");
    expect((await api("GET", "/v1/rollouts/1.2.0", operator)).halts).toEqual([
      { scope: "version", reason: quarantined.stateReason, quarantined: true },
    ]);
    const audit = await api("GET", "/v1/fleet/audit", operator);
    expect(audit.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(["version.quarantined", "operator.alert"]),
    );
    // The skipper now waits for 1.3.0, told about the permission it never received.
    const skipper = await detail(who.skipper);
    expect(skipper.pendingUpdate).toMatchObject({ version: "1.3.0", from: "1.0.0", permissionsBroadened: true });
  });
});
