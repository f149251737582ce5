import { beforeEach, describe, expect, it } from "vitest";
import { METRICS } from "../../../infra/metrics";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { everyShard } from "../src/db/shard-reads";
import { append } from "../src/event/event";
import { silentLog } from "../src/log";
import type { Notification } from "../src/notify/index";
import { Run, SCHEDULE_OVERDUE_MS } from "../src/run/index";
import { consumeDeadLetters, runIdOfDeadLetter, SWEEPER_FINDINGS, type SweeperContext, sweep } from "../src/sweeper";
import { haltVersion } from "../src/version/halts";
import { versionItem } from "./support/records";

const MINUTE = 60_000;
let store: TestStore;
let redelivered: string[];
let published: Notification[];
let metrics: Record<string, number>;
let ctx: SweeperContext;

beforeEach(async () => {
  store = await createTestStore();
  await store.service.entities.version.create(versionItem(store.now().toISOString())).go();
  redelivered = [];
  published = [];
  metrics = {};
  ctx = {
    redeliver: async (runId) => void redelivered.push(runId),
    notifier: { publish: async (batch) => void published.push(...batch) },
    log: silentLog,
    metric: (name, value) => void (metrics[name] = value),
  };
});

let n = 0;
const newRun = (scheduledFor = store.now()) =>
  Run.create(
    store,
    {
      integrationId: `int_${++n}`,
      tenantId: "ten_1",
      version: "1.1.0",
      sequence: 2,
      attempt: 1,
      scheduledFor,
    },
    { actor: "system:planner", action: "run.scheduled" },
  );
const claimed = async (leaseMs: number) =>
  Run.claim(store, await newRun(), "system:executor", {
    lease: { until: new Date(store.now().getTime() + leaseMs), to: "invocation" },
  });
const sweepNow = () => sweep(store, ctx, { now: store.now() });

describe("the sweeper", () => {
  it("re-delivers a run in flight once its lease has run out, and not before", async () => {
    const run = await claimed(5 * MINUTE);
    expect(await sweepNow()).toMatchObject({ expiredLeases: 0 });
    store.clock.advance(5 * MINUTE + 1);
    expect(await sweepNow()).toMatchObject({ expiredLeases: 1, overdueRuns: 0 });
    expect(redelivered).toEqual([run.runId]);
    // The sweeper's finding is the metric its alarm watches.
    expect(metrics[SWEEPER_FINDINGS]).toBe(1);
    expect(SWEEPER_FINDINGS).toBe(METRICS.sweeperFindings);
  });

  it("re-delivers a run still scheduled well past its time (its schedule is gone), not one just due", async () => {
    const run = await newRun();
    store.clock.advance(SCHEDULE_OVERDUE_MS - MINUTE);
    expect(await sweepNow()).toMatchObject({ overdueRuns: 0 });
    store.clock.advance(2 * MINUTE);
    expect(await sweepNow()).toMatchObject({ overdueRuns: 1 });
    expect(redelivered).toEqual([run.runId]);
  });

  it("leaves a halted version's waiting runs alone (resume re-plans them) but still takes over its leases", async () => {
    await newRun();
    const inFlight = await claimed(MINUTE);
    await haltVersion(store, "1.1.0", "operator:test", "incident");
    store.clock.advance(SCHEDULE_OVERDUE_MS + MINUTE);
    expect(await sweepNow()).toMatchObject({ overdueRuns: 0, heldRuns: 1, expiredLeases: 1 });
    expect(redelivered).toEqual([inFlight.runId]);
  });

  it("a halted version's waiting runs never crowd out another version's (the limit counts re-deliveries)", async () => {
    await newRun();
    await newRun();
    await store.service.entities.version
      .create(versionItem(store.now().toISOString(), { version: "1.2.0", sequence: 3 }))
      .go();
    store.clock.advance(MINUTE);
    const other = await Run.create(
      store,
      {
        integrationId: "int_other",
        tenantId: "ten_1",
        version: "1.2.0",
        sequence: 3,
        attempt: 1,
        scheduledFor: store.now(),
      },
      { actor: "system:planner", action: "run.scheduled" },
    );
    await haltVersion(store, "1.1.0", "operator:test", "incident");
    store.clock.advance(SCHEDULE_OVERDUE_MS + MINUTE);
    expect(await sweep(store, { ...ctx, limit: 1 }, { now: store.now() })).toMatchObject({
      overdueRuns: 1,
      heldRuns: 2,
    });
    expect(redelivered).toEqual([other.runId]);
  });

  it("forgets a run once it is final: the due index holds only live runs", async () => {
    const run = await claimed(MINUTE);
    await Run.transition(store, { run, to: "failed", actor: "system:executor", action: "run.failed" });
    store.clock.advance(SCHEDULE_OVERDUE_MS + MINUTE);
    expect(await sweepNow()).toMatchObject({ expiredLeases: 0, overdueRuns: 0 });
    expect(await everyShard((shard) => store.service.entities.run.query.sweepDue({ shard }).go())).toEqual([]);
  });

  it("delivers customer notifications no request delivered, once", async () => {
    await append(store, { actor: "system:executor", action: "run.succeeded", notify: true, integrationId: "int_x" });
    await append(store, { actor: "system:executor", action: "run.claimed", integrationId: "int_x" });
    // A fresh notification is still its writer's to deliver.
    expect(await sweepNow()).toMatchObject({ notifications: 0 });
    store.clock.advance(2 * MINUTE);
    expect(await sweepNow()).toMatchObject({ notifications: 1 });
    expect(published.map((p) => p.action)).toEqual(["run.succeeded"]);
    expect(await sweepNow()).toMatchObject({ notifications: 0 });
    expect(published).toHaveLength(1);
  });

  it("a notifier that refuses leaves the notification for the next sweep and counts a failure", async () => {
    await append(store, { actor: "system:executor", action: "run.failed", notify: true, integrationId: "int_y" });
    store.clock.advance(2 * MINUTE);
    const refusing = { publish: async () => Promise.reject(new Error("SNS is down")) };
    expect(await sweep(store, { ...ctx, notifier: refusing }, { now: store.now() })).toMatchObject({
      notifications: 0,
      failures: 1,
    });
    expect(await sweepNow()).toMatchObject({ notifications: 1 });
  });
});

describe("dead letters", () => {
  it("reads the run id from Scheduler's letter and from Lambda's failure record, nothing else", () => {
    expect(runIdOfDeadLetter(JSON.stringify({ runId: "run_01JD7Q8W9X0Y1Z2A3B4C5D6E7F" }))).toBe(
      "run_01JD7Q8W9X0Y1Z2A3B4C5D6E7F",
    );
    const failure = { requestContext: {}, requestPayload: { runId: "run_01JD7Q8W9X0Y1Z2A3B4C5D6E7F" } };
    expect(runIdOfDeadLetter(JSON.stringify(failure))).toBe("run_01JD7Q8W9X0Y1Z2A3B4C5D6E7F");
    expect(runIdOfDeadLetter(JSON.stringify({ runId: "run_1", extra: true }))).toBeUndefined();
    expect(runIdOfDeadLetter("not json")).toBeUndefined();
  });

  it("re-delivers a letter's run that is waiting or lost its lease; a final or still-leased one needs nothing", async () => {
    const waiting = await newRun();
    const leased = await claimed(5 * MINUTE);
    const done = await Run.transition(store, {
      run: await claimed(MINUTE),
      to: "succeeded",
      actor: "system:executor",
      action: "run.succeeded",
    });
    const letters = [waiting, leased, done].map((r) => JSON.stringify({ runId: r.runId }));
    expect(await consumeDeadLetters(store, ctx, [...letters, "{}"])).toEqual({
      redelivered: 1,
      settled: 2,
      unreadable: 1,
    });
    expect(redelivered).toEqual([waiting.runId]);
  });
});

describe("leases", () => {
  it("of two deliveries taking over the same expired lease, exactly one wins", async () => {
    const run = await claimed(MINUTE);
    store.clock.advance(2 * MINUTE);
    const lease = { until: new Date(store.now().getTime() + 5 * MINUTE), to: "invocation" as const };
    const takeover = () =>
      Run.transition(store, {
        run,
        to: "claimed",
        takeover: true,
        actor: "system:executor",
        action: "run.recovered",
        lease,
      });
    const outcomes = await Promise.allSettled([takeover(), takeover()]);
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect((await Run.get(store, run.runId)).leaseUntil).toBe(lease.until.toISOString());
  });

  it("a takeover is only ever a same-state move: the state machine still refuses everything else", async () => {
    const run = await newRun();
    await expect(
      Run.transition(store, { run, to: "executing", takeover: true, actor: "system:executor", action: "x" }),
    ).rejects.toMatchObject({ code: "transition_not_allowed" });
  });
});
