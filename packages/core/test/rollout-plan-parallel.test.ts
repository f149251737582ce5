import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Event } from "../src/event/index";
import type { RolloutContext } from "../src/rollout/context";
import { planAll, planVersion } from "../src/rollout/plan";
import { Run } from "../src/run/index";
import type { RunScheduler } from "../src/schedule/index";
import { createRolloutHarness, type RolloutHarness } from "./support/rollout";

let h: RolloutHarness;
beforeEach(async () => {
  h = await createRolloutHarness({ maxConcurrent: { count: 10 }, failureTolerance: { count: 1 } });
});
afterEach(() => h.stop());

/** The harness's scheduler, counting requests per run and failing (like a crash) after `failAfter` of them. */
function countingScheduler(inner: RunScheduler, failAfter = Number.POSITIVE_INFINITY) {
  const perRun = new Map<string, number>();
  let calls = 0;
  const scheduler: RunScheduler = {
    async scheduleRun(request) {
      if (++calls > failAfter) throw new Error("planner crashed");
      perRun.set(request.runId, (perRun.get(request.runId) ?? 0) + 1);
      return inner.scheduleRun(request);
    },
    cancel: (name) => inner.cancel(name),
  };
  return { scheduler, perRun, calls: () => calls };
}

async function fleet(n: number) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await h.connected()).integrationId);
  return ids.sort();
}

/** Each integration has exactly one run, one schedule and one "update scheduled" notification. */
async function expectPlannedOnce(ids: string[]) {
  const runs = await Run.byVersion(h.store, "1.1.0");
  expect(runs.map((r) => r.integrationId).sort()).toEqual(ids);
  expect(runs.every((r) => r.attempt === 1 && r.state === "scheduled")).toBe(true);
  expect((await h.schedules()).map((s) => s.name).sort()).toEqual(runs.map((r) => r.scheduleName).sort());
  const events = (await Event.byVersion(h.store, "1.1.0", { limit: 1000 })).items;
  expect(
    events
      .filter((e) => e.action === "update.scheduled")
      .map((e) => e.integrationId)
      .sort(),
  ).toEqual(ids);
  const tallies = await h.store.service.entities.waveTally.query.byVersion({ version: "1.1.0" }).go();
  expect(tallies.data.reduce((sum, t) => sum + (t.size ?? 0), 0)).toBe(ids.length);
}

describe("planning shards in parallel", () => {
  it("plans every integration exactly once with all shards in flight and small pages", async () => {
    const ids = await fleet(40);
    const version = await h.version("1.1.0");
    const counted = countingScheduler(h.scheduler);
    // 16 shards × 2 calls in flight: enough interleaving without swamping the shared test machine.
    const ctx: RolloutContext = {
      ...h.ctx,
      scheduler: counted.scheduler,
      planConcurrency: 16,
      schedulerConcurrency: 2,
    };

    const result = await planAll(h.store, ctx, version, { pageSize: 3 });

    expect(result).toMatchObject({ planned: 40, existing: 0, cursor: null });
    await expectPlannedOnce(ids);
    expect([...counted.perRun.values()].every((n) => n === 1)).toBe(true);
    expect(counted.perRun.size).toBe(40);
    // Slot indexes are shared by the parallel shards: 2 runs per 30-minute slot (tolerance 1), 20 slots.
    const perSlot = new Map<string, number>();
    for (const r of await Run.byVersion(h.store, "1.1.0"))
      perSlot.set(r.scheduledFor, (perSlot.get(r.scheduledFor) ?? 0) + 1);
    expect([...perSlot.values()]).toEqual(Array.from({ length: 20 }, () => 2));
  });

  it("two planners racing on the same version still create each run once", async () => {
    const ids = await fleet(24);
    const version = await h.version("1.1.0");
    const ctx: RolloutContext = { ...h.ctx, planConcurrency: 16, schedulerConcurrency: 2 };

    const [a, b] = await Promise.all([
      planAll(h.store, ctx, version, { pageSize: 2 }),
      planAll(h.store, ctx, version, { pageSize: 5 }),
    ]);

    expect(a.planned + b.planned).toBe(24);
    await expectPlannedOnce(ids);
  });

  it("resumes after a crash mid-shard from the last cursor and plans the rest exactly once", async () => {
    const ids = await fleet(30);
    const version = await h.version("1.1.0");
    // The first invocation plans one page per shard and hands a cursor on.
    const first = await planVersion(h.store, { ...h.ctx, planConcurrency: 4 }, version, { budgetMs: 0, pageSize: 1 });
    expect(first.cursor).not.toBeNull();
    // The next one crashes in the middle of its pages: some runs are created without schedules.
    const crashing = countingScheduler(h.scheduler, 3);
    await expect(
      planVersion(h.store, { ...h.ctx, scheduler: crashing.scheduler, planConcurrency: 4 }, version, {
        cursor: first.cursor,
        pageSize: 2,
      }),
    ).rejects.toThrow("planner crashed");
    const afterCrash = (await Run.byVersion(h.store, "1.1.0")).length;
    expect(afterCrash).toBeGreaterThan(first.planned);
    expect(afterCrash).toBeLessThan(30);

    // Lambda retries the crashed invocation with the same payload: the same cursor.
    const resumed = countingScheduler(h.scheduler);
    let cursor: string | null = first.cursor;
    let planned = 0;
    let existing = 0;
    while (cursor) {
      const r: Awaited<ReturnType<typeof planVersion>> = await planVersion(
        h.store,
        { ...h.ctx, scheduler: resumed.scheduler, planConcurrency: 4 },
        version,
        { cursor, pageSize: 2 },
      );
      planned += r.planned;
      existing += r.existing;
      cursor = r.cursor;
    }

    expect(planned).toBe(30 - afterCrash);
    expect(first.planned + planned + (afterCrash - first.planned)).toBe(30);
    expect(existing).toBe(afterCrash - first.planned);
    await expectPlannedOnce(ids);
  });
});
