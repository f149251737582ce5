import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isStackfleetError } from "../src/error";
import { Event } from "../src/event/index";
import { Integration } from "../src/integration/index";
import * as CustomerControls from "../src/rollout/customer-controls";
import { eligibility } from "../src/rollout/eligibility";
import * as OperatorControls from "../src/rollout/operator-controls";
import { planAll, planVersion } from "../src/rollout/plan";
import { Run } from "../src/run/index";
import { plannedRunId } from "../src/run/run-id";
import { Halts, Version } from "../src/version/index";
import { createRolloutHarness, EXECUTOR, type RolloutHarness, TENANT_ACTOR } from "./support/rollout";

const HOUR = 3_600_000;
let h: RolloutHarness;
/** What the stand-in executor did with each delivery. */
let outcomes: { runId: string; result: string }[];

beforeEach(async () => {
  h = await createRolloutHarness();
  outcomes = [];
  // A stand-in for the lead's executor, doing only its first two steps: the claim (with the halt
  // checks in the transaction) and the table-side eligibility re-check.
  h.sandbox.targets.register(EXECUTOR, async (input) => {
    const { runId } = JSON.parse(input) as { runId: string };
    let run: Awaited<ReturnType<typeof Run.claim>>;
    try {
      run = await Run.claim(h.store, await Run.get(h.store, runId), "system:executor");
    } catch (error) {
      if (isStackfleetError(error, "conflict")) return void outcomes.push({ runId, result: `refused:${error.code}` });
      throw error;
    }
    const integration = (await Integration.getById(h.store, run.integrationId))!;
    const verdict = eligibility(integration, await Version.get(h.store, run.version));
    if (!verdict.eligible) {
      await Run.transition(h.store, {
        run,
        to: verdict.state,
        actor: "system:executor",
        action: `run.${verdict.state}`,
        reason: verdict.reason,
      });
      return void outcomes.push({ runId, result: verdict.state });
    }
    await Run.transition(h.store, {
      run,
      to: "executing",
      actor: "system:executor",
      action: "run.executing",
    });
    outcomes.push({ runId, result: "updating" });
  });
});
afterEach(() => h.stop());

async function planned(graceHours = 24) {
  const integration = await h.connected();
  const version = await h.version("1.1.0", graceHours);
  await planAll(h.store, h.ctx, version);
  return { integration, version, runId: plannedRunId("1.1.0", integration.integrationId, 1) };
}

describe("skip, opt-out and halt prevent the update even when the schedule still fires", () => {
  it("skip (table only, schedule left in place)", async () => {
    const { integration, runId } = await planned();
    await Integration.update(
      h.store,
      integration,
      { skippedVersions: ["1.1.0"] },
      { actor: TENANT_ACTOR, action: "version.skipped" },
    );
    await h.advance(24 * HOUR);
    expect(outcomes).toEqual([{ runId, result: "skipped" }]);
    expect(await Run.get(h.store, runId)).toMatchObject({ state: "skipped" });
  });

  it("auto-update off (table only)", async () => {
    const { integration, runId } = await planned();
    await Integration.setAutoUpdate(h.store, integration, false, TENANT_ACTOR);
    await h.advance(24 * HOUR);
    expect(outcomes).toEqual([{ runId, result: "ineligible" }]);
  });

  it("version halt (flag only); resume wakes the run again", async () => {
    const { runId } = await planned();
    await Halts.haltVersion(h.store, "1.1.0", "operator:ops", "bad canary");
    await h.advance(24 * HOUR);
    expect(outcomes).toEqual([{ runId, result: "refused:version_halted" }]);
    expect(await Run.get(h.store, runId)).toMatchObject({ state: "scheduled" });

    const { plan } = await OperatorControls.resumeRollout(h.store, h.ctx, "1.1.0", "operator:ops");
    expect(plan).toMatchObject({ rescheduled: 1, planned: 0, cursor: null });
    expect(await Run.get(h.store, runId)).toMatchObject({ scheduleName: `${runId}.run.2` });
    await h.advance(2 * 60_000);
    expect(outcomes.at(-1)).toEqual({ runId, result: "updating" });
  });

  it("global halt (flag only)", async () => {
    const { runId } = await planned();
    await Halts.setGlobalHalt(h.store, true, "operator:ops");
    await h.advance(24 * HOUR);
    expect(outcomes).toEqual([{ runId, result: "refused:halted" }]);
  });
});

describe("customer controls are audited and reflected in schedules", () => {
  it("skip cancels the run and deletes its schedule; un-skip plans a new attempt", async () => {
    const { integration, runId } = await planned();
    const skipped = await CustomerControls.skipVersion(h.store, h.ctx, integration, "1.1.0", TENANT_ACTOR);
    expect(skipped.cancelled).toBe(1);
    expect(await h.schedules()).toEqual([]);
    expect(await Run.get(h.store, runId)).toMatchObject({
      state: "cancelled",
      reason: "the customer skipped version 1.1.0",
    });
    const actions = (await Event.byIntegration(h.store, integration.integrationId)).items
      .filter((e) => e.notify)
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["version.skipped", "update.cancelled"]));

    const back = await CustomerControls.unskipVersion(h.store, h.ctx, skipped.integration, "1.1.0", TENANT_ACTOR);
    const second = plannedRunId("1.1.0", integration.integrationId, 2);
    expect(back.planned).toMatchObject({ runId: second, attempt: 2, state: "scheduled" });
    expect((await h.schedules()).map((s) => s.name)).toEqual([`${second}.run.2`]);
    await expect(
      CustomerControls.unskipVersion(h.store, h.ctx, back.integration, "1.1.0", TENANT_ACTOR),
    ).rejects.toMatchObject({ code: "skip_not_found" });
  });

  it("auto-update off cancels and deletes; on plans the latest version after a fresh grace period", async () => {
    const { integration } = await planned(24);
    const off = await CustomerControls.setAutoUpdate(h.store, h.ctx, integration, false, TENANT_ACTOR, "change freeze");
    expect(off.cancelled).toBe(1);
    expect(await h.schedules()).toEqual([]);

    await h.advance(48 * HOUR); // long past the version's own grace end
    const on = await CustomerControls.setAutoUpdate(h.store, h.ctx, off.integration, true, TENANT_ACTOR);
    const freshGraceEnd = new Date(h.store.now().getTime() + 24 * HOUR);
    expect(on.planned).toMatchObject({ attempt: 2, scheduledFor: freshGraceEnd.toISOString() });
    expect(await h.schedules()).toEqual([
      { name: on.planned!.scheduleName!, at: `at(${freshGraceEnd.toISOString().slice(0, 19)})` },
    ]);
  });

  it("update now: 409 during the grace period; afterwards the waiting run moves to now", async () => {
    const { integration, runId, version } = await planned(24);
    const early = await CustomerControls.updateNow(h.store, h.ctx, integration, "1.1.0", TENANT_ACTOR).catch((e) => e);
    expect(early).toMatchObject({
      kind: "conflict",
      code: "in_grace_period",
      details: { graceEndsAt: version.graceEndsAt },
    });

    // A maintenance window keeps the planned run far out; the customer asks for it now.
    const { integration: windowed } = await CustomerControls.setMaintenanceWindow(
      h.store,
      h.ctx,
      integration,
      { days: [5], startMinute: 0, durationMinutes: 60, timezone: "UTC" },
      TENANT_ACTOR,
    );
    await h.advance(25 * HOUR);
    expect(outcomes).toEqual([]);
    const run = await CustomerControls.updateNow(h.store, h.ctx, windowed, "1.1.0", TENANT_ACTOR);
    expect(run).toMatchObject({
      runId,
      wave: "manual",
      scheduledFor: new Date(h.store.now().getTime() + 60_000).toISOString(),
      scheduleName: `${runId}.run.3`,
    });
    // The adapter keeps a minute's lead so Scheduler never gets an at() in the past; the run
    // reports exactly the time its schedule fires.
    expect(await h.schedules()).toEqual([{ name: `${runId}.run.3`, at: `at(${run.scheduledFor.slice(0, 19)})` }]);
    await h.advance(60_000);
    expect(outcomes).toEqual([{ runId, result: "updating" }]);
    await expect(CustomerControls.updateNow(h.store, h.ctx, windowed, "1.1.0", TENANT_ACTOR)).rejects.toMatchObject({
      code: "update_in_progress",
    });
  });

  it("update now refuses an integration that is not eligible", async () => {
    const { integration } = await planned(1);
    await h.advance(2 * HOUR);
    const off = await Integration.setAutoUpdate(h.store, integration, false, TENANT_ACTOR);
    await expect(CustomerControls.updateNow(h.store, h.ctx, off, "1.1.0", TENANT_ACTOR)).rejects.toMatchObject({
      code: "not_eligible",
    });
  });

  it("a maintenance window moves the waiting run to its first opening; clearing moves it back", async () => {
    const { integration, runId, version } = await planned(24);
    const window = { days: [3], startMinute: 60, durationMinutes: 120, timezone: "UTC" }; // Wednesdays 01:00 UTC
    const set = await CustomerControls.setMaintenanceWindow(h.store, h.ctx, integration, window, TENANT_ACTOR);
    expect(set.moved).toHaveLength(1);
    expect(await Run.get(h.store, runId)).toMatchObject({
      scheduledFor: "2026-11-25T01:00:00.000Z",
      scheduleName: `${runId}.run.2`,
    });
    expect(await h.schedules()).toEqual([{ name: `${runId}.run.2`, at: "at(2026-11-25T01:00:00)" }]);
    const cleared = await CustomerControls.setMaintenanceWindow(h.store, h.ctx, set.integration, null, TENANT_ACTOR);
    expect(cleared.integration.maintenanceWindow).toBeUndefined();
    expect(await h.schedules()).toEqual([{ name: `${runId}.run.3`, at: `at(${version.graceEndsAt.slice(0, 19)})` }]);
    const actions = (await Event.byIntegration(h.store, integration.integrationId)).items.map((e) => e.action);
    expect(actions.filter((a) => a.startsWith("maintenance-window."))).toEqual([
      "maintenance-window.cleared",
      "maintenance-window.set",
    ]);
  });

  it("operator halt deletes waiting schedules as a courtesy; resume re-creates them", async () => {
    const { runId } = await planned(24);
    await OperatorControls.haltRollout(h.store, h.ctx, "1.1.0", "operator:ops", "investigating");
    expect(await h.schedules()).toEqual([]);
    expect(await Run.get(h.store, runId)).toMatchObject({ state: "scheduled" });
    await OperatorControls.resumeRollout(h.store, h.ctx, "1.1.0", "operator:ops");
    expect((await h.schedules()).map((s) => s.name)).toEqual([`${runId}.run.2`]);
  });

  it("resuming a large rollout wakes its runs by cursor, across invocations", async () => {
    const fleet = [await h.connected(), await h.connected(), await h.connected()];
    await planAll(h.store, h.ctx, await h.version("1.1.0", 24));
    await OperatorControls.haltRollout(h.store, h.ctx, "1.1.0", "operator:ops");
    expect(await h.schedules()).toEqual([]);
    await Halts.resumeVersion(h.store, "1.1.0", "operator:ops");

    let cursor: string | null = null;
    let invocations = 0;
    let rescheduled = 0;
    do {
      const r: Awaited<ReturnType<typeof planVersion>> = await planVersion(
        h.store,
        h.ctx,
        await Version.get(h.store, "1.1.0"),
        { wake: true, cursor, budgetMs: 0, pageSize: 1 },
      );
      rescheduled += r.rescheduled;
      cursor = r.cursor;
      invocations++;
    } while (cursor);

    expect(invocations).toBeGreaterThan(3);
    expect(rescheduled).toBe(3);
    expect((await h.schedules()).map((s) => s.name)).toEqual(
      fleet.map((i) => `${plannedRunId("1.1.0", i.integrationId, 1)}.run.2`).sort(),
    );
  });
});
