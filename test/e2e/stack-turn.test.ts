import { Event } from "@stackfleet/core/event";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

// Two versions' runs for one stack due at the same moment — a maintenance window opening, a retry
// meeting the next version's run. Before the stack's turn, both were claimed: the second found the
// stack UPDATE_IN_PROGRESS and failed, the customer was told of a failure that was none, and the
// version's failure tolerance counted it.
let f: ExecutorFixture;
beforeAll(async () => {
  f = await startExecutorFixture();
}, 120_000);
afterAll(() => f?.stack.stop());

describe("one run at a time on a stack", () => {
  it("the second run waits for the first, then applies its version; nothing fails", async () => {
    const integration = await f.connect("333333333333", "eu-west-1");
    const older = await f.publish("1.1.0", f.templateFor("1.1.0"));
    const newer = await f.publish("1.2.0", f.templateFor("1.2.0"));
    const first = await f.schedule(integration, older);
    const second = await f.schedule(integration, newer);
    expect(second.scheduledFor).toBe(first.scheduledFor);

    await f.advanceTo(newer.graceEndsAt);
    const events = async () => (await Event.byIntegration(f.deps, integration.integrationId, { limit: 200 })).items;
    const deferred = (await events()).filter((e) => e.action === "run.deferred" && e.runId === second.runId);
    expect(deferred.map((e) => e.reason)).toEqual(["stack_busy"]);
    expect(deferred[0]?.notify).toBeFalsy();

    await f.advanceBy(20 * 60_000);
    expect(await f.runOf(first.runId)).toMatchObject({ state: "succeeded", holdsStack: false });
    expect(await f.runOf(second.runId)).toMatchObject({ state: "succeeded", attempt: 1, holdsStack: false });
    expect(await f.integrationOf(integration.integrationId)).toMatchObject({ currentVersion: "1.2.0" });
    expect((await f.runsOf(integration.integrationId)).map((r) => r.state).sort()).toEqual(["succeeded", "succeeded"]);
    expect((await events()).filter((e) => e.notify && /failed|retry/.test(e.action))).toEqual([]);
    // One stack update after the other, each ours, in the order the turns were taken.
    const updates = await f.ourUpdates("333333333333", "eu-west-1", integration.stackName);
    expect(updates).toHaveLength(2);
  });
});
