import { beforeEach, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { isStackfleetError } from "../src/error";
import { RUN_STATES, Run, type RunState, TRANSITIONS } from "../src/run";
import { versionItem } from "./support/records";

let store: TestStore;
beforeEach(async () => {
  store = await createTestStore();
  const at = store.now().toISOString();
  await store.service.entities.version.create(versionItem(at)).go();
});

const newRun = () =>
  Run.create(
    store,
    { integrationId: "int_1", tenantId: "ten_1", version: "1.1.0", sequence: 2, attempt: 1, scheduledFor: store.now() },
    { actor: "system:planner", action: "run.scheduled" },
  );

/** Walks a fresh run into `state` through allowed transitions. */
const PATH_TO: Record<RunState, RunState[]> = {
  scheduled: [],
  claimed: ["claimed"],
  executing: ["claimed", "executing"],
  watching: ["claimed", "executing", "watching"],
  succeeded: ["claimed", "executing", "succeeded"],
  failed: ["claimed", "failed"],
  skipped: ["claimed", "skipped"],
  ineligible: ["claimed", "ineligible"],
  cancelled: ["cancelled"],
};

async function runIn(state: RunState) {
  let run = await newRun();
  for (const to of PATH_TO[state]) {
    run = await Run.transition(store, {
      run,
      to,
      actor: "system:test",
      action: `run.${to}`,
    });
  }
  return run;
}

const rawItem = async (runId: string) => (await store.service.entities.run.get({ runId }).go()).data;
const eventsOf = async (runId: string) =>
  (await store.service.entities.event.query.activity({ integrationId: "int_1" }).go({ pages: "all" })).data.filter(
    (e) => e.runId === runId,
  );

/** An eligible, connected integration `int_1` as the table holds it, stamped now. */
const connectedIntegration = () => {
  const at = store.now().toISOString();
  return {
    integrationId: "int_1",
    tenantId: "ten_1",
    accountId: "333333333333",
    region: "eu-west-1",
    stackName: "Acme-integration",
    externalId: "x".repeat(43),
    status: "connected" as const,
    autoUpdate: true,
    planState: "eligible" as const,
    planShard: 1,
    createdAt: at,
    updatedAt: at,
  };
};

describe("run state machine", () => {
  const allowed = RUN_STATES.flatMap((from) => TRANSITIONS[from].map((to) => [from, to] as const));
  const disallowed = RUN_STATES.flatMap((from) =>
    RUN_STATES.filter((to) => !TRANSITIONS[from].includes(to)).map((to) => [from, to] as const),
  );

  it.each(allowed)("allows %s → %s and records its audit event", async (from, to) => {
    const run = await runIn(from);
    const before = (await eventsOf(run.runId)).length;
    const after = await Run.transition(store, {
      run,
      to,
      actor: "system:test",
      action: `run.${to}`,
      reason: "because",
    });
    expect(after.state).toBe(to);
    expect((await rawItem(run.runId))?.state).toBe(to);
    const events = await eventsOf(run.runId);
    expect(events).toHaveLength(before + 1);
    expect(events.find((e) => e.action === `run.${to}` && e.reason === "because")?.data).toMatchObject({ from, to });
  });

  it.each(disallowed)("rejects %s → %s with a conflict and leaves the item unchanged", async (from, to) => {
    const run = await runIn(from);
    const before = await rawItem(run.runId);
    const eventsBefore = await eventsOf(run.runId);
    const error = await Run.transition(store, { run, to, actor: "system:test", action: "x" }).catch((e) => e);
    expect(isStackfleetError(error, "conflict")).toBe(true);
    expect(error.code).toBe("transition_not_allowed");
    expect(await rawItem(run.runId)).toEqual(before);
    expect(await eventsOf(run.runId)).toEqual(eventsBefore);
  });

  it("rejects a transition from a state the run is no longer in", async () => {
    const run = await runIn("claimed");
    // The caller holds a stale record: the run as it was before another delivery claimed it.
    const error = await Run.transition(store, {
      run: { ...run, state: "scheduled", rev: 0 },
      to: "claimed",
      actor: "system:test",
      action: "x",
    }).catch((e) => e);
    expect(error.code).toBe("run_state_changed");
    expect((await rawItem(run.runId))?.state).toBe("claimed");
  });

  it("lets exactly one of many concurrent claims win", async () => {
    const run = await newRun();
    const attempts = 25;
    const results = await Promise.allSettled(
      Array.from({ length: attempts }, () => Run.claim(store, run, "system:executor")),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(attempts - 1);
    for (const { reason } of lost) expect(isStackfleetError(reason, "conflict")).toBe(true);
    const item = await rawItem(run.runId);
    expect(item).toMatchObject({ state: "claimed", rev: 1 });
    expect((await eventsOf(run.runId)).filter((e) => e.action === "run.claimed")).toHaveLength(1);
  });

  it("writes a transition and its audit event all-or-nothing", async () => {
    const run = await newRun();
    // Make the audit event's write fail: its id collides with an existing event.
    const [existing] = await eventsOf(run.runId);
    const broken = { ...store, newId: () => existing!.eventId };
    const before = await rawItem(run.runId);
    const error = await Run.claim(broken, run, "system:executor").catch((e) => e);
    expect(isStackfleetError(error, "conflict")).toBe(true);
    expect(error.code).toBe("event_exists");
    expect(await rawItem(run.runId)).toEqual(before);
    expect(await eventsOf(run.runId)).toHaveLength(1);
  });

  it("refuses a claim while the global halt is set", async () => {
    const run = await newRun();
    await store.service.entities.control
      .put({ name: "global", halted: true, reason: "incident", updatedAt: store.now().toISOString() })
      .go();
    const error = await Run.claim(store, run, "system:executor").catch((e) => e);
    expect(error.code).toBe("halted");
    expect((await rawItem(run.runId))?.state).toBe("scheduled");
  });

  it("refuses a claim while the run's version is halted, and allows it once resumed", async () => {
    const run = await newRun();
    await store.service.entities.version.patch({ sequence: 2 }).set({ state: "halted" }).go();
    const error = await Run.claim(store, run, "system:executor").catch((e) => e);
    expect(error.code).toBe("version_halted");
    expect((await rawItem(run.runId))?.state).toBe("scheduled");
    await store.service.entities.version.patch({ sequence: 2 }).set({ state: "published" }).go();
    await store.service.entities.control
      .put({ name: "global", halted: false, updatedAt: store.now().toISOString() })
      .go();
    expect((await Run.claim(store, run, "system:executor")).state).toBe("claimed");
  });

  it("refuses to start executing once the integration skipped the version or opted out, in the same transaction", async () => {
    const integration = connectedIntegration();
    await store.service.entities.integration.put(integration).go();
    const toExecuting = (run: Run.RunRecord) =>
      Run.transition(store, {
        run,
        to: "executing",
        actor: "system:executor",
        action: "run.executing",
        requireNotHalted: true,
        requireEligible: true,
      });

    const skipped = await runIn("claimed");
    await store.service.entities.integration
      .patch({ integrationId: "int_1" })
      .add({ skippedVersions: ["1.1.0"] })
      .go();
    expect((await toExecuting(skipped).catch((e) => e)).code).toBe("integration_ineligible");
    expect((await rawItem(skipped.runId))?.state).toBe("claimed");
    // One run in flight per stack: the refused run ends before the next one is claimed.
    const end = (run: Run.RunRecord) =>
      Run.transition(store, { run, to: "failed", actor: "system:test", action: "run.failed" });
    await end(skipped);

    await store.service.entities.integration.put({ ...integration, autoUpdate: false }).go();
    const optedOut = await runIn("claimed");
    expect((await toExecuting(optedOut).catch((e) => e)).code).toBe("integration_ineligible");
    await end(optedOut);

    await store.service.entities.integration.put(integration).go();
    const eligible = await runIn("claimed");
    expect((await toExecuting(eligible)).state).toBe("executing");
  });

  it("sets a success's version on the integration without the record as read, keeping a change made meanwhile, all-or-nothing", async () => {
    const integration = connectedIntegration();
    await store.service.entities.integration.put(integration).go();
    const run = await runIn("executing");
    // The stack's registration callback, answered while the update ran.
    await store.service.entities.integration
      .patch({ integrationId: "int_1" })
      .set({ serviceRoleArn: "arn:aws:iam::333333333333:role/new" })
      .add({ rev: 1 })
      .go();
    const succeed = (from: Run.RunRecord) =>
      Run.transition(store, {
        run: from,
        to: "succeeded",
        actor: "system:executor",
        action: "run.succeeded",
        applied: { version: "1.1.0", sequence: 2 },
      });

    // A stale run (another delivery acted) changes nothing, the integration included.
    const stale = { ...run, rev: run.rev - 1 };
    expect((await succeed(stale).catch((e) => e)).code).toBe("run_state_changed");
    expect((await store.service.entities.integration.get({ integrationId: "int_1" }).go()).data?.currentVersion).toBe(
      undefined,
    );

    expect((await succeed(run)).state).toBe("succeeded");
    const after = (await store.service.entities.integration.get({ integrationId: "int_1" }).go()).data;
    expect(after).toMatchObject({
      currentVersion: "1.1.0",
      currentSequence: 2,
      serviceRoleArn: "arn:aws:iam::333333333333:role/new",
      planState: "eligible",
      rev: 2,
    });
  });
});
