import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { Event } from "@stackfleet/core/event";
import { Integration } from "@stackfleet/core/integration";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Halts, Version } from "@stackfleet/core/version";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

// What must stop the executor even when the schedule still fires: every guard of DESIGN.md's
// invariant 2, the signature, anti-rollback, lost access, duplicates, malformed input.
let f: ExecutorFixture;
let next: VersionRecord;
const at: Record<string, IntegrationRecord> = {};
const SCENARIOS = {
  optOut: ["333333333333", "eu-west-1"],
  skip: ["333333333333", "eu-central-1"],
  halt: ["333333333333", "us-west-2"],
  tamper: ["444444444444", "eu-west-1"],
  lower: ["444444444444", "eu-central-1"],
  roleDeleted: ["444444444444", "us-west-2"],
  duplicates: ["555555555555", "eu-west-1"],
  window: ["555555555555", "eu-central-1"],
  storeDown: ["555555555555", "us-west-2"],
} as const;

beforeAll(async () => {
  f = await startExecutorFixture();
  for (const [name, [account, region]] of Object.entries(SCENARIOS)) at[name] = await f.connect(account, region);
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
}, 180_000);
afterAll(() => f?.stack.stop());
afterEach(() => vi.restoreAllMocks());

const actions = async (integrationId: string) =>
  (await Event.byIntegration(f.deps, integrationId, { limit: 100 })).items.map(
    (e) => `${e.action}${e.notify ? "!" : ""}`,
  );
const cloudFormationCalls = () => vi.spyOn(CloudFormationClient.prototype, "send");

describe("executor guards", () => {
  it("honours the customer turning EnableAutoUpdate off in the stack after scheduling", async () => {
    const integration = at.optOut!;
    const waiting = await f.schedule(integration, next);
    expect(await f.setStackAutoUpdate(integration, false)).toBe("UPDATE_COMPLETE");
    // The stack's callback confirms the opt-out: the waiting run is cancelled at once.
    expect(await f.runOf(waiting.runId)).toMatchObject({ state: "cancelled" });
    // A run that fires anyway (a schedule that escaped deletion, a forged one) is refused by the executor.
    const run = await f.schedule(integration, next);
    await f.advanceTo(next.graceEndsAt);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "ineligible" });
    expect(await f.integrationOf(integration.integrationId)).toMatchObject({
      autoUpdate: false,
      currentVersion: "1.0.0",
    });
    expect(await f.ourUpdates(...SCENARIOS.optOut, integration.stackName)).toHaveLength(0);
  });

  it("skips a version the customer skipped after scheduling, without touching CloudFormation", async () => {
    const integration = at.skip!;
    const run = await f.schedule(integration, next);
    await Integration.update(
      f.deps,
      integration,
      { skippedVersions: ["1.1.0"] },
      { actor: "tenant:ten_e2e", action: "version.skipped" },
    );
    const calls = cloudFormationCalls();
    await f.advanceTo(next.graceEndsAt);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "skipped" });
    expect(calls).not.toHaveBeenCalled();
    expect(await actions(integration.integrationId)).toContain("run.skipped!");
  });

  it("holds every run while the global halt is set, and lets it through after resume", async () => {
    const integration = at.halt!;
    const run = await f.schedule(integration, next);
    await Halts.setGlobalHalt(f.deps, true, "operator:test", "incident");
    const calls = cloudFormationCalls();
    await f.advanceTo(next.graceEndsAt);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "scheduled" });
    expect(calls).not.toHaveBeenCalled();
    expect(await actions(integration.integrationId)).toContain("run.held");
    await Halts.setGlobalHalt(f.deps, false, "operator:test");
    // Resume re-plans held runs (the planner's job); here the same run is simply woken again.
    await f.stack.scheduler.scheduleRun({ runId: run.runId, at: f.stack.sandbox.clock.now(), kind: "run", attempt: 2 });
    // The wake-up, then its first watch a minute after the go.
    await f.advanceBy(190_000);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded" });
  });

  it("refuses a template whose stored bytes were tampered with, before any CloudFormation call", async () => {
    const integration = at.tamper!;
    const version = await f.publish("1.2.0", f.templateFor("1.2.0"));
    const run = await f.schedule(integration, version);
    const stored = new URL(version.templateLocation);
    writeFileSync(fileURLToPath(stored), f.templateFor("1.2.0", [{ Effect: "Allow", Action: ["*"], Resource: "*" }]));
    const calls = cloudFormationCalls();
    await f.advanceTo(version.graceEndsAt);
    const failed = await f.runOf(run.runId);
    expect(failed).toMatchObject({ state: "failed" });
    expect(failed.reason).toMatch(/template_mismatch/);
    expect(calls).not.toHaveBeenCalled();
    expect(await actions(integration.integrationId)).toContain("run.failed!");
    expect((await f.runsOf(integration.integrationId)).filter((r) => r.attempt > 1)).toHaveLength(0);
    // A digest failure is about the version: it is quarantined for every customer.
    expect(await Version.get(f.deps, "1.2.0")).toMatchObject({ state: "halted", quarantinedAt: expect.any(String) });
  });

  it("refuses a manifest older than what the integration already runs (anti-rollback)", async () => {
    const integration = at.lower!;
    const run = await f.schedule(integration, next);
    await f.advanceTo(next.graceEndsAt);
    expect((await f.runOf(run.runId)).state).toBe("succeeded");
    const older = await Version.get(f.deps, "1.0.0");
    const replay = await f.schedule(await f.integrationOf(integration.integrationId), older);
    const calls = cloudFormationCalls();
    await f.advanceBy(120_000);
    // Refused, and not a failure of the version: the integration is past it, so there is nothing to do.
    expect(await f.runOf(replay.runId)).toMatchObject({
      state: "ineligible",
      reason: expect.stringMatching(/rollback/),
    });
    expect(calls).not.toHaveBeenCalled();
  });

  it("marks the integration access-lost when the update role is gone, without retrying", async () => {
    const integration = at.roleDeleted!;
    const run = await f.schedule(integration, next);
    f.stack.sandbox.control.deleteRole(integration.updateRoleArn!);
    await f.advanceTo(next.graceEndsAt);
    expect((await f.runOf(run.runId)).reason).toMatch(/AssumeRole .* denied/);
    expect(await f.integrationOf(integration.integrationId)).toMatchObject({
      status: "access-lost",
      planState: "ineligible",
    });
    // One outcome, one notification: the run's failure says access was lost; the loss itself is audit.
    const told = await actions(integration.integrationId);
    expect(told).toEqual(expect.arrayContaining(["access.lost", "run.failed!"]));
    expect(told).not.toContain("access.lost!");
    expect(await f.runsOf(integration.integrationId)).toHaveLength(1);
  });

  it("executes exactly one change set when the same run is delivered 20 times at once", async () => {
    const integration = at.duplicates!;
    const run = await f.schedule(integration, next);
    const clock = f.stack.sandbox.clock;
    if (clock.kind !== "manual") throw new Error("needs the manual clock");
    clock.advance(Math.max(0, new Date(next.graceEndsAt).getTime() - clock.now().getTime() + 1_000));
    const target = f.stack.sandbox.targets.resolve(f.stack.executorArn)!;
    await Promise.all(Array.from({ length: 20 }, () => target(JSON.stringify({ runId: run.runId }))));
    await f.advanceBy(120_000); // the real schedule fires too: a 21st delivery
    expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded" });
    expect(await f.ourUpdates(...SCENARIOS.duplicates, integration.stackName)).toHaveLength(1);
    expect((await actions(integration.integrationId)).filter((a) => a.startsWith("run.claimed"))).toHaveLength(1);
  });

  it("defers a run that fires outside the integration's maintenance window to the window's opening", async () => {
    const integration = at.window!;
    const fireAt = Math.max(new Date(next.graceEndsAt).getTime(), f.stack.sandbox.clock.now().getTime() + 60_000);
    const opensAt = new Date(fireAt + 3 * 3_600_000);
    const startMinute = opensAt.getUTCHours() * 60 + opensAt.getUTCMinutes();
    const windowed = await Integration.update(
      f.deps,
      integration,
      { maintenanceWindow: { days: [0, 1, 2, 3, 4, 5, 6], startMinute, durationMinutes: 60, timezone: "UTC" } },
      { actor: "tenant:ten_e2e", action: "maintenance-window.set" },
    );
    const run = await f.schedule(windowed, next);
    const calls = cloudFormationCalls();
    await f.advanceTo(next.graceEndsAt);
    const waiting = await f.runOf(run.runId);
    expect(waiting).toMatchObject({ state: "scheduled" });
    expect(calls).not.toHaveBeenCalled();
    const deferred = (await Event.byIntegration(f.deps, integration.integrationId, { limit: 100 })).items.find(
      (e) => e.action === "run.deferred",
    );
    expect(deferred).toMatchObject({ reason: "outside_maintenance_window" });
    // The run itself records when it now waits for: the window's opening.
    const until = new Date(waiting.scheduledFor);
    expect(until.getUTCHours() * 60 + until.getUTCMinutes()).toBe(startMinute);
    await f.advanceBy(3 * 3_600_000 + 120_000);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded" });
  });

  it("records an unexpected failure after the claim and plans a retry instead of leaving the run claimed", async () => {
    const integration = at.storeDown!;
    const version = await f.publish("1.3.0", f.templateFor("1.3.0"));
    const run = await f.schedule(integration, version);
    // A directory where the file was: the store's read fails with a raw EISDIR, not a "not found".
    const stored = fileURLToPath(new URL(version.templateLocation));
    rmSync(stored);
    mkdirSync(stored);
    await f.advanceTo(version.graceEndsAt);
    const failed = await f.runOf(run.runId);
    expect(failed).toMatchObject({ state: "failed" });
    expect(failed.reason).toMatch(/^EISDIR/);
    expect((await f.runsOf(integration.integrationId)).find((r) => r.attempt === 2)).toMatchObject({
      state: "scheduled",
    });
    expect(await actions(integration.integrationId)).toEqual(
      expect.arrayContaining(["run.failed!", "run.retry-planned!"]),
    );
  });

  it("rejects and records any input other than exactly { runId }", async () => {
    const target = f.stack.sandbox.targets.resolve(f.stack.executorArn)!;
    const calls = cloudFormationCalls();
    for (const input of [
      {},
      { runId: "run_01JD5Y3M5QK3T3G1ZJ3N4Q2X8V", roleArn: "arn:aws:iam::999999999999:role/evil" },
      { runId: 42 },
      "run_x",
    ]) {
      await target(JSON.stringify(input));
    }
    expect(calls).not.toHaveBeenCalled();
    const rejected = (await Event.byTenant(f.deps, "-", { limit: 100 })).items.filter(
      (e) => e.action === "executor.input-rejected",
    );
    expect(rejected).toHaveLength(4);
  });
});
