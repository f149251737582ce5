import { beforeEach, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { isRunConflict, Run, type RunState } from "../src/run";
import { stackHolder } from "../src/run/stack-lock";
import { versionItem } from "./support/records";

// "Never two runs acting on one stack" as a condition DynamoDB enforces: the claim takes the
// integration's stack turn, and every transition out of flight gives it back in the same write.

let store: TestStore;
beforeEach(async () => {
  store = await createTestStore();
  await store.service.entities.version.create(versionItem(store.now().toISOString())).go();
});

const newRun = (attempt = 1) =>
  Run.create(
    store,
    { integrationId: "int_1", tenantId: "ten_1", version: "1.1.0", sequence: 2, attempt, scheduledFor: store.now() },
    { actor: "system:planner", action: "run.scheduled" },
  );
const move = (run: Run.RunRecord, to: RunState) =>
  Run.transition(store, { run, to, actor: "system:test", action: `run.${to}` });
const conflictOf = (p: Promise<unknown>) =>
  p.then(
    () => "claimed",
    (e: unknown) => (isRunConflict(e) ? e.code : `unexpected: ${String(e)}`),
  );

describe("the stack's turn", () => {
  it("is taken by the claim: a second run of the integration gets stack_busy and changes nothing", async () => {
    const first = await Run.claim(store, await newRun(1), "system:executor");
    expect(first.holdsStack).toBe(true);
    expect(await stackHolder(store, "int_1")).toBe(first.runId);
    const second = await newRun(2);
    expect(await conflictOf(Run.claim(store, second, "system:executor"))).toBe("stack_busy");
    expect(await Run.get(store, second.runId)).toMatchObject({ state: "scheduled", rev: second.rev });
  });

  it.each<[string, RunState[]]>([
    ["an outcome", ["executing", "succeeded"]],
    ["a failure", ["failed"]],
    ["the floor's not yet (back to scheduled)", ["scheduled"]],
    ["a cancel while watching", ["executing", "watching", "failed"]],
  ])("is given back by %s, and the next run can claim", async (_, path) => {
    let run = await Run.claim(store, await newRun(1), "system:executor");
    for (const to of path) run = await move(run, to);
    expect(run.holdsStack).toBe(false);
    expect(await stackHolder(store, "int_1")).toBeUndefined();
    const next = await Run.claim(store, await newRun(2), "system:executor");
    expect(await stackHolder(store, "int_1")).toBe(next.runId);
  });

  it("stays with its run through a lease takeover", async () => {
    const run = await Run.claim(store, await newRun(1), "system:executor");
    const taken = await Run.transition(store, {
      run,
      to: "claimed",
      actor: "system:executor",
      action: "run.recovered",
      takeover: true,
    });
    expect(await stackHolder(store, "int_1")).toBe(taken.runId);
  });

  it("a claim retried after a lost response is not refused by its own turn", async () => {
    const run = await newRun(1);
    await Run.claim(store, run, "system:executor");
    // The first claim was applied, its answer lost: the retry holds the old revision and loses on
    // the run's own condition, not on the turn (the turn is its own).
    expect(await conflictOf(Run.claim(store, run, "system:executor"))).toBe("run_state_changed");
  });

  it("is taken over from a holder only by naming it", async () => {
    const first = await Run.claim(store, await newRun(1), "system:executor");
    const second = await newRun(2);
    expect(await conflictOf(Run.claim(store, second, "system:executor", { stackFrom: "run_someone_else" }))).toBe(
      "stack_busy",
    );
    const taken = await Run.claim(store, second, "system:executor", { stackFrom: first.runId });
    expect(await stackHolder(store, "int_1")).toBe(taken.runId);
    // The first run never gets it back by leaving flight: its release names itself and fails loudly.
    expect(await conflictOf(move(first, "failed"))).toBe("stack_lost");
  });
});
