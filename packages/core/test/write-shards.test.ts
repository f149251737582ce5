import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { scanTable } from "../../../test/support/store";
import { WRITE_SHARDS, writeShardOf } from "../src/db/write-shards";
import { append } from "../src/event/event";
import { silentLog } from "../src/log";
import { stopRollout } from "../src/rollout/operator-controls";
import { type PlanResult, planAll, planVersion } from "../src/rollout/plan";
import { reschedule } from "../src/rollout/reschedule";
import { Run } from "../src/run/index";
import { plannedRunId } from "../src/run/run-id";
import { SCHEDULE_OVERDUE_MS } from "../src/run/sweep-due";
import { type SweeperContext, sweep } from "../src/sweeper";
import { createRolloutHarness, type RolloutHarness } from "./support/rollout";

const MINUTE = 60_000;
const at = "2026-11-21T12:00:00.000Z";
let h: RolloutHarness;
beforeEach(async () => {
  h = await createRolloutHarness({ maxConcurrent: { count: 10 }, failureTolerance: { count: 5 } });
});
afterEach(() => h.stop());

const items = async () => await scanTable(h.store.client, h.store.tableName);
const shardSuffix = (id: string) => `#shard_${writeShardOf(id)}`;

/** Every run and event in the table carries its id's shard in every index key built from it. */
function expectShardedKeys(all: Array<Record<string, any>>) {
  const runs = all.filter((i) => i.__edb_e__ === "run");
  const events = all.filter((i) => i.__edb_e__ === "event");
  for (const run of runs) {
    expect(run.shard, run.runId).toBe(writeShardOf(run.runId));
    expect(run.gsi2pk, run.runId).toBe(`$stackfleet#version_${run.version}${shardSuffix(run.runId)}`);
    if (run.gsi3pk !== undefined) expect(run.gsi3pk, run.runId).toBe(`$stackfleet${shardSuffix(run.runId)}`);
  }
  for (const event of events) {
    expect(event.shard, event.eventId).toBe(writeShardOf(event.eventId));
    expect(event.gsi3pk, event.eventId).toBe(`$stackfleet#version_${event.version}${shardSuffix(event.eventId)}`);
    if (event.gsi4pk !== undefined)
      expect(event.gsi4pk, event.eventId).toBe(`$stackfleet${shardSuffix(event.eventId)}`);
  }
  return { runs, events };
}

describe("write-sharded index keys", () => {
  it("spread one version's runs and events over every shard, about evenly", async () => {
    const runs = Array.from({ length: 400 }, (_, i) => ({
      runId: plannedRunId("1.1.0", `int_${i}`, 1),
      integrationId: `int_${i}`,
      tenantId: "ten_a",
      version: "1.1.0",
      sequence: 2,
      attempt: 1,
      state: "scheduled" as const,
      scheduledFor: at,
      createdAt: at,
      updatedAt: at,
    }));
    await h.store.service.entities.run.put(runs).go();
    for (const run of runs.slice(0, 200))
      await append(h.store, { actor: "system:test", action: "x", version: "1.1.0", runId: run.runId, notify: true });
    const { runs: stored, events } = expectShardedKeys(await items());
    for (const [kind, found, field] of [
      ["runs", stored, "gsi2pk"],
      ["run sweep", stored, "gsi3pk"],
      ["events", events, "gsi3pk"],
      ["outbox", events, "gsi4pk"],
    ] as const) {
      const perShard = new Map<string, number>();
      for (const item of found) perShard.set(item[field], (perShard.get(item[field]) ?? 0) + 1);
      expect(perShard.size, kind).toBe(WRITE_SHARDS);
      // A uniform hash: no shard takes more than twice its share.
      expect(Math.max(...perShard.values()), kind).toBeLessThanOrEqual((2 * found.length) / WRITE_SHARDS);
    }
  });

  it("every write path of a rollout keys its runs and events by shard (plan, reschedule, claim, retry, outcome, stop, delivery)", async () => {
    const fleet = await Promise.all(Array.from({ length: 6 }, () => h.connected()));
    await planAll(h.store, h.ctx, await h.version("1.1.0", 1));
    const [rescheduled, retried, succeeded] = fleet.map((i) =>
      Run.get(h.store, plannedRunId("1.1.0", i.integrationId, 1)),
    );
    await reschedule(h.store, h.ctx, await rescheduled!, {
      at: new Date(h.store.now().getTime() + 30 * MINUTE),
      actor: "tenant:ten_a",
      action: "update.rescheduled",
      notify: true,
      wave: "manual",
    });
    const executing = async (run: Run.RunRecord) =>
      Run.transition(h.store, {
        run: await Run.claim(h.store, run, "system:executor"),
        to: "executing",
        actor: "system:executor",
        action: "run.executing",
      });
    const first = await executing(await retried!);
    await Run.transition(h.store, {
      run: first,
      to: "failed",
      actor: "system:executor",
      action: "run.failed",
      next: {
        run: {
          ...first,
          scheduledFor: h.store.now(),
          attempt: 2,
          runId: plannedRunId("1.1.0", first.integrationId, 2),
        },
        event: { actor: "system:executor", action: "run.retry_scheduled" },
      },
    });
    const watching = await Run.transition(h.store, {
      run: await executing(await succeeded!),
      to: "watching",
      actor: "system:executor",
      action: "run.watching",
      lease: { until: new Date(h.store.now().getTime() + 5 * MINUTE), to: "schedule" },
    });
    await Run.transition(h.store, {
      run: watching,
      to: "succeeded",
      actor: "system:executor",
      action: "run.succeeded",
    });
    await stopRollout(h.store, h.ctx, "1.1.0", "operator:ana", "enough");
    // One the planner did not deliver itself: the sweeper's delivery stamps it.
    await append(h.store, { actor: "system:test", action: "late", version: "1.1.0", notify: true });
    h.store.clock.advance(10 * MINUTE);
    expect(await sweep(h.store, sweeperContext([]), { now: h.store.now() })).toMatchObject({ notifications: 1 });

    const { runs, events } = expectShardedKeys(await items());
    // The paths above really ran: every kind of run and a delivered outbox.
    expect(new Set(runs.map((r) => r.state))).toEqual(new Set(["failed", "succeeded", "cancelled"]));
    expect(runs).toHaveLength(7);
    expect(events.filter((e) => e.notify && e.deliveredAt !== undefined).length).toBeGreaterThan(0);
    expect(events.filter((e) => e.gsi4pk !== undefined)).toEqual([]);
  });

  it("resuming wakes every waiting run once across invocations; the per-shard cursor fits the planner's payload", async () => {
    await Promise.all(Array.from({ length: 20 }, () => h.connected()));
    const version = await h.version("1.1.0", 1);
    await planAll(h.store, h.ctx, version);
    let cursor: string | null = null;
    let woken = 0;
    let longest = 0;
    do {
      // No time budget: each invocation wakes one page (about 3 runs from each shard) and hands on.
      const result: PlanResult = await planVersion(h.store, h.ctx, version, {
        wake: true,
        wakeOnly: true,
        pageSize: 3,
        budgetMs: 0,
        cursor,
      });
      woken += result.rescheduled;
      cursor = result.cursor;
      longest = Math.max(longest, cursor?.length ?? 0);
    } while (cursor);
    expect(woken).toBe(20);
    const runs = await Run.byVersion(h.store, "1.1.0");
    expect(runs.map((r) => r.scheduleName?.split(".").slice(1).join("."))).toEqual(runs.map(() => "run.2"));
    // packages/functions/src/plan-continuation.ts accepts cursors up to 16,384 characters.
    expect(longest).toBeGreaterThan(0);
    expect(longest).toBeLessThan(16_384 / 2);
  });

  it("a run update that moves it in the sweep index without its shard is refused; a wrong shard changes nothing", async () => {
    const run = plannedRunId("1.1.0", "int_1", 1);
    await h.store.service.entities.run
      .create({
        runId: run,
        integrationId: "int_1",
        tenantId: "ten_a",
        version: "1.1.0",
        sequence: 2,
        attempt: 1,
        state: "scheduled",
        scheduledFor: at,
        createdAt: at,
        updatedAt: at,
      })
      .go();
    const patch = () => h.store.service.entities.run.patch({ runId: run }).set({ state: "cancelled", updatedAt: at });
    expect(() => patch().params()).toThrow(/shard/);
    const wrong = (writeShardOf(run) + 1) % WRITE_SHARDS;
    await expect(patch().composite({ shard: wrong }).go()).rejects.toThrow(/conditional/i);
    expect((await Run.get(h.store, run)).state).toBe("scheduled");
    await patch()
      .composite({ shard: writeShardOf(run) })
      .go();
    const [stored] = expectShardedKeys(await items()).runs;
    expect(stored).toMatchObject({ state: "cancelled", sweepAt: "none" });
    expect(stored?.gsi3pk).toBeUndefined();
  });
});

function sweeperContext(redelivered: string[], limit?: number): SweeperContext {
  return {
    redeliver: async (runId) => void redelivered.push(runId),
    notifier: h.notifier,
    log: silentLog,
    ...(limit ? { limit } : {}),
  };
}

describe("the sweeper over sharded indexes", () => {
  it("finds every overdue run in every shard, the longest overdue first when its limit cuts", async () => {
    const runs = [];
    for (let i = 0; i < 48; i++) {
      const scheduledFor = new Date(Date.parse(at) + i * 1000);
      const input = {
        integrationId: `int_${i}`,
        tenantId: "ten_a",
        version: "1.1.0",
        sequence: 2,
        attempt: 1,
        scheduledFor,
      };
      runs.push(await Run.create(h.store, input, { actor: "system:test", action: "run.scheduled" }));
    }
    expect(new Set(runs.map((r) => writeShardOf(r.runId))).size).toBeGreaterThan(WRITE_SHARDS / 2);
    h.store.clock.set(new Date(Date.parse(at) + SCHEDULE_OVERDUE_MS + MINUTE));
    const oldest: string[] = [];
    expect(await sweep(h.store, sweeperContext(oldest, 5), { now: h.store.now() })).toMatchObject({ overdueRuns: 5 });
    expect(oldest).toEqual(runs.slice(0, 5).map((r) => r.runId));
    const all: string[] = [];
    expect(await sweep(h.store, sweeperContext(all), { now: h.store.now() })).toMatchObject({ overdueRuns: 48 });
    expect(all).toEqual(runs.map((r) => r.runId));
  });

  it("delivers the oldest notifications of every shard first, each once", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      h.store.clock.advance(1000);
      ids.push(
        (await append(h.store, { actor: "system:test", action: `n${i}`, notify: true, integrationId: "int_x" }))
          .eventId,
      );
    }
    expect(new Set(ids.map(writeShardOf)).size).toBeGreaterThan(WRITE_SHARDS / 2);
    h.store.clock.advance(10 * MINUTE);
    const sweepOnce = () => sweep(h.store, sweeperContext([], 15), { now: h.store.now() });
    expect(await sweepOnce()).toMatchObject({ notifications: 15 });
    expect(new Set(h.notifier.delivered.map((n) => n.eventId))).toEqual(new Set(ids.slice(0, 15)));
    await sweepOnce();
    await sweepOnce();
    expect(await sweepOnce()).toMatchObject({ notifications: 0 });
    expect(h.notifier.delivered.map((n) => n.eventId).sort()).toEqual([...ids].sort());
  });
});
