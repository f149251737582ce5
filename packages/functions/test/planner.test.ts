import { Run } from "@stackfleet/core/run";
import { Halts } from "@stackfleet/core/version";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRolloutHarness, type RolloutHarness } from "../../core/test/support/rollout";
import type { Planner } from "../src/api/env";
import { handlePlanEvent, PlanContinuation } from "../src/plan-continuation";

let h: RolloutHarness;
let handedOn: { version: string; cursor: string }[];
let planner: Planner;
const logged: string[] = [];
const options = { remainingMs: () => 900_000, log: (message: string) => void logged.push(message) };

beforeEach(async () => {
  h = await createRolloutHarness();
  handedOn = [];
  planner = {
    scheduler: h.scheduler,
    notifier: h.notifier,
    planBudgetMs: 20_000,
    planConcurrency: 4,
    continuePlanning: async (version, cursor) => void handedOn.push({ version, cursor }),
  };
});
afterEach(() => h.stop());

describe("the planner function's entry", () => {
  it("refuses a malformed payload and plans nothing", async () => {
    await h.connected();
    await h.version("1.1.0");
    for (const event of [
      {},
      { stackfleetPlan: { version: "1.1.0" } },
      { stackfleetPlan: { version: 7, cursor: null } },
    ])
      expect(await handlePlanEvent(h.store, planner, event, options)).toEqual({ result: "rejected" });
    expect(logged).toContain("planner input rejected");
    expect(await Run.byVersion(h.store, "1.1.0")).toEqual([]);
  });

  it("plans a version the API handed over from its start, in parallel shards, and hands nothing on when done", async () => {
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await h.connected()).integrationId);
    await h.version("1.1.0");
    const event = PlanContinuation.parse({ stackfleetPlan: { version: "1.1.0", cursor: null } });

    expect(await handlePlanEvent(h.store, planner, event, options)).toEqual({ result: "planned" });

    const runs = await Run.byVersion(h.store, "1.1.0");
    expect(runs.map((r) => r.integrationId).sort()).toEqual(ids.sort());
    expect(await h.schedules()).toHaveLength(6);
    expect(handedOn).toEqual([]);
  });

  it("reports how far planning runs behind the version's grace end: 0 before it, the seconds past it after", async () => {
    await h.connected();
    const version = await h.version("1.1.0");
    const reported: Array<[string, number]> = [];
    const metric = (name: string, value: number) => void reported.push([name, value]);
    const event = { stackfleetPlan: { version: "1.1.0", cursor: null } };
    await handlePlanEvent(h.store, planner, event, { ...options, metric });
    h.store.clock.advance(Date.parse(version.graceEndsAt) + 20 * 60_000 - h.store.now().getTime());
    await handlePlanEvent(h.store, planner, event, { ...options, metric });
    expect(reported).toEqual([
      ["PlanningLagSeconds", 0],
      ["PlanningLagSeconds", 1200],
    ]);
  });

  it("ends the chain when everything is halted since the last link", async () => {
    await h.connected();
    await h.version("1.1.0");
    await Halts.setGlobalHalt(h.store, true, "operator:test", "incident");
    await handlePlanEvent(h.store, planner, { stackfleetPlan: { version: "1.1.0", cursor: null } }, options);
    expect(await Run.byVersion(h.store, "1.1.0")).toEqual([]);
    expect(await h.schedules()).toEqual([]);
  });
});
