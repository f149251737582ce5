import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Event } from "../src/event/index";
import { cancelRun, stopRollout } from "../src/rollout/operator-controls";
import { planAll } from "../src/rollout/plan";
import { gateForRun } from "../src/rollout/wave-gate";
import { Run } from "../src/run/index";
import { plannedRunId } from "../src/run/run-id";
import { Version } from "../src/version/index";
import { createRolloutHarness, type RolloutHarness } from "./support/rollout";

const HOUR = 3_600_000;
let h: RolloutHarness;
beforeEach(async () => {
  h = await createRolloutHarness({ maxConcurrent: { count: 10 }, failureTolerance: { count: 1 } });
});
afterEach(() => h.stop());

const tally = async () => (await h.store.service.entities.waveTally.get({ version: "1.1.0", wave: "main" }).go()).data;

describe("stopping a rollout", () => {
  it("halts it, cancels waiting and claimed runs (schedules deleted, slots given back, customers told once) and leaves executing ones be", async () => {
    const fleet = [await h.connected(), await h.connected(), await h.connected()];
    await planAll(h.store, h.ctx, await h.version("1.1.0", 1));
    // Before grace end: every run still has its schedule (the executor's claim does not look at the clock).
    const [waiting, claimed, executing] = fleet.map((i) => plannedRunId("1.1.0", i.integrationId, 1));
    const claim = async (runId: string) => {
      const run = await Run.get(h.store, runId);
      const gate = await gateForRun(h.store, run, h.store.now());
      return Run.claim(h.store, run, "system:executor", { slot: gate.ok ? gate.slot : undefined });
    };
    await claim(claimed!);
    await Run.transition(h.store, {
      run: await claim(executing!),
      to: "executing",
      actor: "system:executor",
      action: "run.executing",
    });
    expect(await tally()).toMatchObject({ inFlight: 2 });
    expect(await h.schedules()).toHaveLength(3);

    const stopped = await stopRollout(h.store, h.ctx, "1.1.0", "operator:ana", "incident 4711");
    expect(stopped).toMatchObject({ cancelled: 2, finishing: 1, more: false, version: { state: "halted" } });
    expect(await Run.get(h.store, waiting!)).toMatchObject({ state: "cancelled", reason: "incident 4711" });
    expect(await Run.get(h.store, claimed!)).toMatchObject({ state: "cancelled", holdsSlot: false });
    expect(await Run.get(h.store, executing!)).toMatchObject({ state: "executing" });
    // The claimed run's slot came back; the executing one keeps its own until it ends.
    expect(await tally()).toMatchObject({ inFlight: 1, finished: 2 });
    expect((await h.schedules()).map((x) => x.name)).toEqual([(await Run.get(h.store, executing!)).scheduleName]);
    const events = (await Event.byVersion(h.store, "1.1.0")).items;
    for (const runId of [waiting, claimed])
      expect(events.filter((e) => e.runId === runId && e.notify && e.action === "run.cancelled")).toHaveLength(1);
    expect(events.find((e) => e.action === "rollout.stopped")).toMatchObject({ actor: "operator:ana" });
    // Nothing new starts: the halt is what every claim checks.
    expect((await Version.get(h.store, "1.1.0")).state).toBe("halted");
    // Stopping again is harmless.
    expect(await stopRollout(h.store, h.ctx, "1.1.0", "operator:ana")).toMatchObject({ cancelled: 0, finishing: 1 });
  });

  it("cancels one run and refuses a run that already ended or is executing", async () => {
    const fleet = [await h.connected(), await h.connected()];
    await planAll(h.store, h.ctx, await h.version("1.1.0", 1));
    const [first, second] = fleet.map((i) => plannedRunId("1.1.0", i.integrationId, 1));
    expect(await cancelRun(h.store, h.ctx, first!, "operator:ana")).toMatchObject({ state: "cancelled" });
    await expect(cancelRun(h.store, h.ctx, first!, "operator:ana")).rejects.toMatchObject({ code: "run_finished" });
    await h.advance(HOUR);
    const claimed = await Run.claim(h.store, await Run.get(h.store, second!), "system:executor");
    await Run.transition(h.store, { run: claimed, to: "executing", actor: "system:executor", action: "run.executing" });
    await expect(cancelRun(h.store, h.ctx, second!, "operator:ana")).rejects.toMatchObject({ code: "run_executing" });
    await expect(cancelRun(h.store, h.ctx, "run_NOPE000000000000", "operator:ana")).rejects.toMatchObject({
      code: "run_not_found",
    });
  });
});
