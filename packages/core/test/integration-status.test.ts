import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { STACK_OPT_OUT } from "../src/customer-stack/contract";
import { Integration } from "../src/integration/index";
import type { IntegrationRecord } from "../src/integration/integration";
import { integrationTruth } from "../src/integration-status/status";
import { planAll } from "../src/rollout/plan";
import { pendingUpdate, rolloutProgress } from "../src/rollout/progress";
import { Halts } from "../src/version/index";
import { createRolloutHarness, type RolloutHarness } from "./support/rollout";

let h: RolloutHarness;
beforeEach(async () => {
  h = await createRolloutHarness();
});
afterEach(() => h.stop());

async function scheduled(patch: Parameters<RolloutHarness["connected"]>[0] = {}) {
  const integration = await h.connected(patch);
  const version = await h.version("1.1.0", 24);
  await planAll(h.store, h.ctx, version);
  return { integration, version };
}

const reread = async (i: IntegrationRecord) => (await Integration.getById(h.store, i.integrationId))!;
const patch = async (i: IntegrationRecord, set: Parameters<typeof Integration.update>[2]) =>
  Integration.update(h.store, await reread(i), set, { actor: "customer-stack", action: "integration.updated" });

describe("one derived status per integration", () => {
  it("a waiting run is an update scheduled, with its time, summary and the pending update", async () => {
    const { integration, version } = await scheduled();
    const truth = await integrationTruth(h.store, integration);
    expect(truth.status).toEqual({
      state: "update_scheduled",
      version: "1.1.0",
      scheduledFor: version.graceEndsAt,
      changelogSummary: version.changelogSummary,
    });
    expect(truth.pendingUpdate).toMatchObject({ version: "1.1.0", scheduledFor: version.graceEndsAt, attempt: 1 });
    expect(await pendingUpdate(h.store, integration.integrationId)).toEqual(truth.pendingUpdate);
  });

  it("an opt-out seen on the stack is opted out in_stack with no pending update, even before runs are cancelled", async () => {
    const { integration } = await scheduled();
    const off = await patch(integration, { autoUpdate: false, autoUpdateReason: STACK_OPT_OUT });
    expect(await integrationTruth(h.store, off)).toEqual({
      status: { state: "opted_out", via: "in_stack", reason: STACK_OPT_OUT },
      pendingUpdate: null,
    });
    const viaApi = await patch(off, { autoUpdate: false, autoUpdateReason: "tenant turned it off" });
    expect((await integrationTruth(h.store, viaApi)).status).toMatchObject({ state: "opted_out", via: "via_api" });
  });

  it("halts pause the waiting update: the version's own, then the global one", async () => {
    const { integration } = await scheduled();
    await Halts.haltVersion(h.store, "1.1.0", "operator:ops", "bad canary");
    expect((await integrationTruth(h.store, integration)).status).toEqual({
      state: "paused",
      version: "1.1.0",
      halt: "version",
      reason: "bad canary",
    });
    await Halts.setGlobalHalt(h.store, true, "operator:ops", "incident");
    expect((await integrationTruth(h.store, integration)).status).toMatchObject({ halt: "global", reason: "incident" });
    const progress = await rolloutProgress(h.store, "1.1.0");
    expect(progress.halts).toEqual([
      { scope: "version", reason: "bad canary", quarantined: false },
      { scope: "global", reason: "incident" },
    ]);
  });

  it("never shows a pending version at or below the installed one", async () => {
    const { integration } = await scheduled();
    const ahead = await patch(integration, { currentVersion: "1.2.0" });
    expect(await integrationTruth(h.store, ahead)).toEqual({
      status: { state: "up_to_date", version: "1.2.0" },
      pendingUpdate: null,
    });
  });

  it("a newer published version with no run for this integration yet is update_available, not up_to_date", async () => {
    const latecomer = await h.connected();
    await h.version("1.1.0", 24);
    expect((await integrationTruth(h.store, latecomer)).status).toEqual({
      state: "update_available",
      version: "1.1.0",
    });
  });

  it("a skipped newest version with nothing waiting is skipped; lost access is access_lost", async () => {
    const skipper = await h.connected({ skippedVersions: ["1.1.0"] });
    await h.version("1.1.0", 24);
    expect((await integrationTruth(h.store, skipper)).status).toEqual({ state: "skipped", version: "1.1.0" });
    const lost = await patch(skipper, { status: "access-lost", statusReason: "AssumeRole denied" });
    expect((await integrationTruth(h.store, lost)).status).toEqual({
      state: "access_lost",
      reason: "AssumeRole denied",
    });
  });

  it("a waiting run outside the maintenance window after the grace end is waiting_for_window", async () => {
    // Sunday only (day 0): the harness's clock starts on a Saturday.
    const { integration } = await scheduled({
      maintenanceWindow: { days: [0], startMinute: 0, durationMinutes: 60, timezone: "UTC" },
    });
    h.store.clock.advance(25 * 3_600_000);
    const truth = await integrationTruth(h.store, integration);
    expect(truth.status).toMatchObject({ state: "waiting_for_window", version: "1.1.0" });
  });

  it("a halted version's waiting run does not hide a newer version's", async () => {
    const { integration } = await scheduled();
    h.store.clock.advance(3_600_000);
    const newer = await h.version("1.2.0", 24);
    await planAll(h.store, h.ctx, newer);
    expect((await integrationTruth(h.store, integration)).pendingUpdate).toMatchObject({ version: "1.1.0" });
    await Halts.haltVersion(h.store, "1.1.0", "operator:ops", "bad canary");
    const truth = await integrationTruth(h.store, integration);
    expect(truth.pendingUpdate).toMatchObject({ version: "1.2.0", scheduledFor: newer.graceEndsAt });
    expect(truth.status).toMatchObject({ state: "update_scheduled", version: "1.2.0" });
  });
});
