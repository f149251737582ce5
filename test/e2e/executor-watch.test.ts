import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

// No sleeping in Lambda: after ExecuteChangeSet the executor looks once after a short first wait
// (20 s), then hands the run to "watch" schedules. Every status read is a call against the
// customer's CloudFormation quota, so they are counted here, on the sandbox's manual clock.
let f: ExecutorFixture;
let next: VersionRecord;
const at: Record<string, IntegrationRecord> = {};

// Counts CloudFormation calls by operation while the clock advances: the executor's, and the
// API's reads of the live stack when the stack's registration callback arrives (DescribeStacks,
// GetTemplate). Phase durations are in seconds of the sandbox clock.
const calls = new Map<string, number>();
const send = CloudFormationClient.prototype.send;

beforeAll(async () => {
  f = await startExecutorFixture();
  for (const region of ["eu-west-1", "eu-west-2", "us-east-2"]) at[region] = await f.connect("333333333333", region);
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
  CloudFormationClient.prototype.send = function (this: CloudFormationClient, ...args: unknown[]) {
    const name = (args[0] as object).constructor.name.replace(/Command$/, "");
    calls.set(name, (calls.get(name) ?? 0) + 1);
    return (send as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof send;
}, 120_000);
afterAll(async () => {
  CloudFormationClient.prototype.send = send;
  await f?.stack.stop();
});
afterEach(() => f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 0 } }));

const actionsOf = async (integrationId: string) =>
  (await Event.byIntegration(f.deps, integrationId, { limit: 100 })).items.map((e) => e.action);

/** Fires the run at grace end and lets the sandbox clock run `ms` further, counting calls meanwhile. */
async function update(integration: IntegrationRecord, ms: number) {
  const run = await f.schedule(integration, next);
  calls.clear();
  await f.advanceTo(next.graceEndsAt);
  await f.advanceBy(ms);
  return { run: await f.runOf(run.runId), calls: Object.fromEntries(calls) };
}

describe("watching an executed update", () => {
  it("ends an update that outlasts the first wait with one watch schedule and two status reads", async () => {
    const integration = at["eu-west-1"]!;
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 45 } });
    const { run, calls } = await update(integration, 5 * 60_000);
    expect(run).toMatchObject({ state: "succeeded", watches: 1 });
    // Besides the two status reads, one call each: a typical update is 6 CloudFormation calls.
    expect(calls).toMatchObject({
      DescribeStackEvents: 2,
      CreateChangeSet: 1,
      DescribeChangeSet: 1,
      ExecuteChangeSet: 1,
    });
    const actions = await actionsOf(integration.integrationId);
    expect(actions.filter((a) => a === "run.watch-handover")).toHaveLength(1);
    expect(actions).toEqual(expect.arrayContaining(["run.watch-resumed", "run.succeeded"]));
  });

  it("ends an update that finishes within the first wait in the same invocation, with one status read", async () => {
    const integration = at["eu-west-2"]!;
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 5 } });
    const { run, calls } = await update(integration, 0);
    expect(run.state).toBe("succeeded");
    expect(run.watches ?? 0).toBe(0);
    expect(calls.DescribeStackEvents).toBe(1);
    expect(await actionsOf(integration.integrationId)).not.toContain("run.watch-handover");
  });

  it("spaces later watches out (1, 2, 4 minutes) instead of polling", async () => {
    const integration = at["us-east-2"]!;
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 6 * 60 } });
    const { run, calls } = await update(integration, 15 * 60_000);
    // Looks at 20 s, then 1, 3 and 7 minutes after it: the update ended at 6 minutes.
    expect(run).toMatchObject({ state: "succeeded", watches: 3 });
    expect(calls.DescribeStackEvents).toBe(4);
  });
});
