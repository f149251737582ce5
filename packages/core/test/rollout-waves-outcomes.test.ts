import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Event } from "../src/event/index";
import { updateNow } from "../src/rollout/customer-controls";
import { OperatorControls } from "../src/rollout/index";
import { recordRunOutcome } from "../src/rollout/outcome";
import { planAll } from "../src/rollout/plan";
import { rolloutProgress } from "../src/rollout/progress";
import { gateForRun } from "../src/rollout/wave-gate";
import { Run } from "../src/run/index";
import { plannedRunId } from "../src/run/run-id";
import { Version } from "../src/version/index";
import { createRolloutHarness, type RolloutHarness } from "./support/rollout";

const HOUR = 3_600_000;
let h: RolloutHarness;
afterEach(() => h.stop());

/** Drives a run to a final state the way the executor would, then records its outcome. */
async function finish(runId: string, outcome: "succeeded" | "failed", reason?: string) {
  const claimed = await Run.claim(h.store, await Run.get(h.store, runId), "system:executor");
  const executing = await Run.transition(h.store, {
    run: claimed,
    to: "executing",
    actor: "system:executor",
    action: "run.executing",
  });
  const done = await Run.transition(h.store, {
    run: executing,
    to: outcome,
    actor: "system:executor",
    action: `run.${outcome}`,
    reason,
    notify: true,
    set: { reason },
  });
  return recordRunOutcome(h.store, h.ctx, done, outcome, reason);
}

describe("waves", () => {
  beforeEach(async () => {
    h = await createRolloutHarness({
      maxConcurrent: { count: 10 },
      failureTolerance: { count: 1 },
      coolingOffHours: 24,
    });
  });

  it("runs the canary first and releases the main wave a cooling-off after the canary finished", async () => {
    const canary = await h.connected();
    const rest = [await h.connected(), await h.connected()];
    h.ctx.policy = { ...h.ctx.policy, canary: { integrationIds: [canary.integrationId] } };
    const version = await h.version("1.1.0", 24);
    await planAll(h.store, h.ctx, version);

    const canaryRun = await Run.get(h.store, plannedRunId("1.1.0", canary.integrationId, 1));
    const mainRun = await Run.get(h.store, plannedRunId("1.1.0", rest[0]!.integrationId, 1));
    expect(canaryRun).toMatchObject({ wave: "canary", scheduledFor: version.graceEndsAt });
    expect(mainRun).toMatchObject({
      wave: "main",
      scheduledFor: new Date(Date.parse(version.graceEndsAt) + 24 * HOUR).toISOString(),
    });

    await h.advance(24 * HOUR);
    expect(await gateForRun(h.store, canaryRun, h.store.now())).toMatchObject({ ok: true });
    expect(await gateForRun(h.store, mainRun, h.store.now())).toMatchObject({ ok: false, reason: "canary_pending" });

    await h.advance(2 * HOUR);
    await finish(canaryRun.runId, "succeeded");
    const finishedAt = h.store.now().getTime();
    await h.advance(22 * HOUR); // the main wave's planned start, but only 22 h after the canary finished
    expect(await gateForRun(h.store, mainRun, h.store.now())).toEqual({
      ok: false,
      reason: "cooling_off",
      retryAt: new Date(finishedAt + 24 * HOUR),
    });
    await h.advance(2 * HOUR);
    expect(await gateForRun(h.store, mainRun, h.store.now())).toMatchObject({ ok: true });
  });

  it("a canary member the customer updates now leaves the canary, which can then finish without it", async () => {
    const [c1, c2, other] = [await h.connected(), await h.connected(), await h.connected()];
    h.ctx.policy = { ...h.ctx.policy, canary: { integrationIds: [c1.integrationId, c2.integrationId] } };
    const version = await h.version("1.1.0", 1);
    await planAll(h.store, h.ctx, version);
    await h.advance(2 * HOUR);
    const manual = await updateNow(h.store, h.ctx, c1, "1.1.0", "tenant:ten_a");
    expect(manual.wave).toBe("manual");
    expect(await gateForRun(h.store, manual, h.store.now())).toMatchObject({ ok: true });

    await finish(plannedRunId("1.1.0", c2.integrationId, 1), "succeeded");
    await h.advance(24 * HOUR);
    const mainRun = await Run.get(h.store, plannedRunId("1.1.0", other.integrationId, 1));
    expect(await gateForRun(h.store, mainRun, h.store.now())).toMatchObject({ ok: true });
    expect((await rolloutProgress(h.store, "1.1.0")).waves.canary).toMatchObject({
      size: 1,
      finished: 1,
      succeeded: 1,
    });
  });

  it("with tolerance 1 halts itself after the second failure in a wave, and says why", async () => {
    const fleet = [await h.connected(), await h.connected(), await h.connected(), await h.connected()];
    const version = await h.version("1.1.0", 1);
    await planAll(h.store, h.ctx, version);
    await h.advance(HOUR);
    const [first, second, third] = fleet.map((i) => plannedRunId("1.1.0", i.integrationId, 1));

    expect(await finish(first!, "failed", "UPDATE_ROLLBACK_COMPLETE: bucket policy invalid")).toEqual({
      counted: true,
    });
    expect((await Version.get(h.store, "1.1.0")).state).toBe("published");
    // Counting the same run again changes nothing.
    expect(await recordRunOutcome(h.store, h.ctx, await Run.get(h.store, first!), "failed")).toEqual({
      counted: false,
    });
    expect((await Version.get(h.store, "1.1.0")).state).toBe("published");

    const reason = "failure tolerance exceeded in wave main: 2 failures > tolerance 1";
    expect(await finish(second!, "failed", "access denied")).toEqual({ counted: true, halted: { reason } });

    expect(await Version.get(h.store, "1.1.0")).toMatchObject({ state: "halted", stateReason: reason });
    const events = await Event.byVersion(h.store, "1.1.0");
    expect(events.items.find((e) => e.action === "version.halted")).toMatchObject({ actor: "system:rollout", reason });
    // The halt is the flag the claim checks: the next run cannot start.
    await expect(Run.claim(h.store, await Run.get(h.store, third!), "system:executor")).rejects.toMatchObject({
      code: "version_halted",
    });
    expect(await gateForRun(h.store, await Run.get(h.store, third!), h.store.now())).toEqual({
      ok: false,
      reason: "tolerance_exceeded",
    });

    const progress = await rolloutProgress(h.store, "1.1.0");
    expect(progress).toMatchObject({
      state: "halted",
      stateReason: reason,
      byState: { failed: 2, scheduled: 2 },
      waves: { main: { size: 4, failed: 2, finished: 2, tolerance: 1 } },
    });
    expect(progress.failures.map((f) => f.reason).sort()).toEqual([
      "UPDATE_ROLLBACK_COMPLETE: bucket policy invalid",
      "access denied",
    ]);
  });

  it("resumed after it halted itself, goes on; the tolerance counts the failures after the resume", async () => {
    const fleet = [await h.connected(), await h.connected(), await h.connected(), await h.connected()];
    const version = await h.version("1.1.0", 1);
    await planAll(h.store, h.ctx, version);
    await h.advance(HOUR);
    const [first, second, third, fourth] = fleet.map((i) => plannedRunId("1.1.0", i.integrationId, 1));
    await finish(first!, "failed", "boom");
    expect((await finish(second!, "failed", "boom")).halted).toBeDefined();

    // Before: the gate still said `tolerance_exceeded` after the resume, so the waiting runs were
    // held for ever with the version published (found by the reliability model).
    await OperatorControls.resumeRollout(h.store, h.ctx, "1.1.0", "operator:test");
    expect(await gateForRun(h.store, await Run.get(h.store, third!), h.store.now())).toMatchObject({ ok: true });
    expect((await rolloutProgress(h.store, "1.1.0")).waves.main).toMatchObject({ failed: 2 });

    // One more failure is within the tolerance (1) again; a second one halts the version again.
    expect(await finish(third!, "failed", "boom again")).toEqual({ counted: true });
    expect((await Version.get(h.store, "1.1.0")).state).toBe("published");
    expect((await finish(fourth!, "failed", "and again")).halted).toMatchObject({
      reason: "failure tolerance exceeded in wave main: 2 failures > tolerance 1",
    });
  });

  it("holds a wave at its strict concurrency: tolerance 1 → two in flight, one after a failure", async () => {
    const fleet = [await h.connected(), await h.connected(), await h.connected(), await h.connected()];
    const version = await h.version("1.1.0", 1);
    await planAll(h.store, h.ctx, version);
    await h.advance(HOUR);
    const ids = fleet.map((i) => plannedRunId("1.1.0", i.integrationId, 1));
    const first = await claimThroughGate(ids[0]!);
    await claimThroughGate(ids[1]!);
    expect(await tallyOf("main")).toMatchObject({ inFlight: 2 });
    // The gate reads the tally's in-flight count, no query over the wave's runs.
    expect(await gateForRun(h.store, await Run.get(h.store, ids[2]!), h.store.now())).toMatchObject({
      ok: false,
      reason: "concurrency_full",
      retryAt: expect.any(Date),
    });
    // A failure gives its slot back in its final transition, and shrinks the limit to 1: still full.
    const failed = await Run.transition(h.store, {
      run: first as Run.RunRecord,
      to: "failed",
      actor: "system:executor",
      action: "run.failed",
    });
    await recordRunOutcome(h.store, h.ctx, failed, "failed");
    expect(await tallyOf("main")).toMatchObject({ inFlight: 1, failed: 1 });
    expect(await gateForRun(h.store, await Run.get(h.store, ids[2]!), h.store.now())).toMatchObject({
      reason: "concurrency_full",
    });
  });

  it("never lets concurrent claims exceed the wave's limit: the slot is taken inside the claim transaction", async () => {
    const fleet = await Promise.all(Array.from({ length: 6 }, () => h.connected()));
    const version = await h.version("1.1.0", 1);
    await planAll(h.store, h.ctx, version);
    await h.advance(HOUR);
    const runs = await Promise.all(fleet.map((i) => Run.get(h.store, plannedRunId("1.1.0", i.integrationId, 1))));
    // Every claimer asks the gate first and sees a free wave (the check-then-act race of old)...
    const gates = await Promise.all(runs.map((run) => gateForRun(h.store, run, h.store.now())));
    expect(gates.every((g) => g.ok)).toBe(true);
    // ...and then all claim at once: only the limit's worth (tolerance 1 → 2) get a slot.
    const outcomes = await Promise.allSettled(
      runs.map((run, i) => {
        const gate = gates[i]!;
        return Run.claim(h.store, run, "system:executor", { slot: gate.ok ? gate.slot : undefined });
      }),
    );
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected");
    expect(won).toHaveLength(2);
    expect(lost.map((o) => o.reason.code).every((c: string) => c === "wave_full" || c === "transaction_conflict")).toBe(
      true,
    );
    expect(await tallyOf("main")).toMatchObject({ inFlight: 2 });
    expect((await Run.byVersion(h.store, "1.1.0", "claimed")).length).toBe(2);
  });
});

/** What the executor does: ask the gate, then claim with the slot it computed. */
async function claimThroughGate(runId: string) {
  const run = await Run.get(h.store, runId);
  const gate = await gateForRun(h.store, run, h.store.now());
  if (!gate.ok) return gate;
  return Run.claim(h.store, run, "system:executor", { slot: gate.slot });
}

const tallyOf = async (wave: "canary" | "main") =>
  (await h.store.service.entities.waveTally.get({ version: "1.1.0", wave }).go()).data;
