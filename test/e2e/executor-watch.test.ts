import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

// No sleeping in Lambda: after ExecuteChangeSet the invocation ends and "watch" schedules read the
// stack, the first 60 s after the go, then 1, 2, 4… minutes apart. Every status read is a call
// against the customer's CloudFormation quota, so they are counted here, on the sandbox's manual
// clock, and so is how much of that clock each executor invocation spans.
let f: ExecutorFixture;
let next: VersionRecord;
const at: Record<string, IntegrationRecord> = {};

// Counts CloudFormation calls by operation while the clock advances: the executor's, and the
// API's reads of the live stack when the stack's registration callback arrives (DescribeStacks,
// GetTemplate). Phase durations are in seconds of the sandbox clock.
const calls = new Map<string, number>();
const send = CloudFormationClient.prototype.send;
/** Sandbox-clock milliseconds each executor invocation took, from its start to its answer. */
const spans: number[] = [];

beforeAll(async () => {
  f = await startExecutorFixture();
  for (const region of ["eu-west-1", "eu-west-2", "us-east-2", "ap-south-1"])
    at[region] = await f.connect("333333333333", region);
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
  CloudFormationClient.prototype.send = async function (this: CloudFormationClient, ...args: unknown[]) {
    const name = (args[0] as object).constructor.name.replace(/Command$/, "");
    calls.set(name, (calls.get(name) ?? 0) + 1);
    // Per Region too (each integration here has its own): a late call for another test's stack
    // on a loaded machine must not count as this stack's read.
    const key = `${name}@${await this.config.region()}`;
    calls.set(key, (calls.get(key) ?? 0) + 1);
    return (send as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof send;
  const { targets, clock } = f.stack.sandbox;
  const executor = targets.resolve(f.stack.executorArn)!;
  targets.register(f.stack.executorArn, async (input) => {
    const started = clock.now().getTime();
    try {
      return await executor(input);
    } finally {
      spans.push(clock.now().getTime() - started);
    }
  });
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
  spans.length = 0;
  await f.advanceBy(Math.max(0, Date.parse(next.graceEndsAt) - f.stack.sandbox.clock.now().getTime()));
  await f.advanceBy(ms);
  const own = [...calls].filter(([key]) => key.endsWith(`@${integration.region}`));
  return { run: await f.runOf(run.runId), calls: Object.fromEntries(own.map(([key, n]) => [key.split("@")[0], n])) };
}

describe("watching an executed update", () => {
  it("ends a typical update (45 s) with one watch schedule and one status read; no invocation waits for it", async () => {
    const integration = at["eu-west-1"]!;
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 45 } });
    const { run, calls } = await update(integration, 5 * 60_000);
    expect(run).toMatchObject({ state: "succeeded", watches: 1 });
    // Besides the one status read, one call each: a typical update is 5 CloudFormation calls.
    expect(calls).toMatchObject({
      DescribeStackEvents: 1,
      CreateChangeSet: 1,
      DescribeChangeSet: 1,
      ExecuteChangeSet: 1,
    });
    // Two invocations (the run, its watch), neither spanning the update: the run's waits only for
    // its change set (1 s here, 5 s in AWS).
    expect(spans).toHaveLength(2);
    for (const span of spans) expect(span).toBeLessThan(10_000);
    const actions = await actionsOf(integration.integrationId);
    expect(actions).toEqual(expect.arrayContaining(["run.executing", "run.succeeded"]));
    expect(actions).not.toContain("run.watch-handover");
  });

  it("ends an update that outlasts the first watch with a second, two status reads in all", async () => {
    const integration = at["eu-west-2"]!;
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 100 } });
    const { run, calls } = await update(integration, 5 * 60_000);
    expect(run).toMatchObject({ state: "succeeded", watches: 2 });
    expect(calls.DescribeStackEvents).toBe(2);
    expect(spans.every((span) => span < 10_000)).toBe(true);
    const actions = await actionsOf(integration.integrationId);
    expect(actions.filter((a) => a === "run.watch-handover")).toHaveLength(1);
  });

  it("takes a delivery before the watch's time for a duplicate: it reads nothing and the watch still ends the run", async () => {
    const integration = at["ap-south-1"]!;
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 30 } });
    const run = await f.schedule(integration, next);
    await f.advanceBy(Math.max(0, Date.parse(next.graceEndsAt) - f.stack.sandbox.clock.now().getTime()));
    // Until its schedule (at least a minute ahead if grace ended earlier in this file) has fired.
    for (let i = 0; i < 30 && (await f.runOf(run.runId)).state === "scheduled"; i++) await f.advanceBy(5_000);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "executing", leasedTo: "schedule", watches: 1 });
    calls.clear();
    // A second delivery of the run's own schedule, or anyone re-firing it, right after the go.
    await f.stack.sandbox.targets.resolve(f.stack.executorArn)!(JSON.stringify({ runId: run.runId }));
    expect(calls.get("DescribeStackEvents@ap-south-1") ?? 0).toBe(0);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "executing", leasedTo: "schedule" });
    await f.advanceBy(2 * 60_000);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded", watches: 1 });
    expect(calls.get("DescribeStackEvents@ap-south-1")).toBe(1);
  });

  it("spaces later watches out (1, 2, 4, 8 minutes after the go) instead of polling", async () => {
    const integration = at["us-east-2"]!;
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 6 * 60 } });
    const { run, calls } = await update(integration, 15 * 60_000);
    // Looks at 1, 2, 4 and 8 minutes after the go: the update ended at 6 minutes.
    expect(run).toMatchObject({ state: "succeeded", watches: 4 });
    expect(calls.DescribeStackEvents).toBe(4);
  });
});
