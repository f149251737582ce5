import { setTimeout as sleep } from "node:timers/promises";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { liftEmergencyStop, setEmergencyStop } from "@stackfleet/core/updater/store";
import { UPDATER_KEYS } from "@stackfleet/core/updater/table";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

/**
 * The executor's last look at the emergency stop goes out together with the watch's
 * CreateSchedule (update.ts executeAndHandOver), to save a round trip. What must hold whatever
 * the overlap: the stop is read after every request that precedes execution, and neither the
 * `executing` write nor ExecuteChangeSet is sent before its answer — a stop visible before then
 * means no CloudFormation change.
 */
let f: ExecutorFixture;
let next: VersionRecord;
const at: Record<"afterDescribe" | "slowRead", IntegrationRecord | undefined> = {
  afterDescribe: undefined,
  slowRead: undefined,
};

beforeAll(async () => {
  // A long retry delay: the stopped run's retry must not fire inside the other test.
  f = await startExecutorFixture({ retryDelaysMs: [6 * 3_600_000] });
  at.afterDescribe = await f.connect("333333333333", "ap-south-1");
  at.slowRead = await f.connect("333333333333", "ap-northeast-2");
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
}, 180_000);
afterEach(async () => {
  vi.restoreAllMocks();
  await liftEmergencyStop(f.stack.updater);
});
afterAll(() => f?.stack.stop());

/** CloudFormation requests for one stack, by command name; `after` runs once a named one is answered. */
function watchStack(stackName: string, after: Record<string, () => Promise<void>> = {}) {
  const seen: string[] = [];
  const original = CloudFormationClient.prototype.send;
  vi.spyOn(CloudFormationClient.prototype, "send").mockImplementation(async function (
    this: CloudFormationClient,
    ...args: unknown[]
  ) {
    const command = args[0] as { constructor: { name: string }; input?: { StackName?: string } };
    const out = await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (command.input?.StackName === stackName) {
      seen.push(command.constructor.name);
      await after[command.constructor.name]?.();
    }
    return out;
  } as CloudFormationClient["send"]);
  return { count: (name: string) => seen.filter((n) => n === name).length };
}

async function expectStopped(integration: IntegrationRecord, reason: string) {
  const runs = await f.runsOf(integration.integrationId);
  const first = runs.find((r) => r.attempt === 1)!;
  expect(first).toMatchObject({ state: "failed", reason: `emergency stop before execution: ${reason}` });
  const actions = (await Event.byIntegration(f.deps, integration.integrationId, { limit: 100 })).items
    .filter((e) => e.runId === first.runId)
    .map((e) => e.action);
  expect(actions).not.toContain("run.executing");
  expect(await f.ourUpdates(integration.accountId, integration.region, integration.stackName)).toEqual([]);
}

describe("the emergency stop read before the go", () => {
  it("sees a stop set as soon as DescribeChangeSet answered: no executing write, no ExecuteChangeSet", async () => {
    const integration = at.afterDescribe!;
    const setStop = () => setEmergencyStop(f.stack.updater, { reason: "incident 11", setBy: "security:dora" });
    const calls = watchStack(integration.stackName, { DescribeChangeSetCommand: setStop });
    await f.schedule(integration, next);
    await f.advanceTo(next.graceEndsAt);
    expect(calls.count("DescribeChangeSetCommand")).toBeGreaterThan(0);
    expect(calls.count("ExecuteChangeSetCommand")).toBe(0);
    await expectStopped(integration, "incident 11");
  }, 300_000);

  it("is in flight with the watch's CreateSchedule, and the go waits for its answer", async () => {
    const integration = at.slowRead!;
    let described = false;
    let watchScheduled = false;
    let overlapped: boolean | undefined;
    const calls = watchStack(integration.stackName, {
      DescribeChangeSetCommand: async () => {
        described = true;
      },
    });
    const scheduler = SchedulerClient.prototype.send;
    vi.spyOn(SchedulerClient.prototype, "send").mockImplementation(async function (
      this: SchedulerClient,
      ...args: unknown[]
    ) {
      const out = await (scheduler as (...a: unknown[]) => Promise<unknown>).apply(this, args);
      const name = (args[0] as { input?: { Name?: string } }).input?.Name ?? "";
      if (described && name.includes(".watch.")) watchScheduled = true;
      return out;
    } as SchedulerClient["send"]);
    // The stop read, once it is the last look: held until the watch's schedule exists (at most
    // 3 s, as a sequential executor would never get there), then answered with a stop set meanwhile.
    const documents = DynamoDBDocumentClient.prototype.send;
    vi.spyOn(DynamoDBDocumentClient.prototype, "send").mockImplementation(async function (
      this: DynamoDBDocumentClient,
      ...args: unknown[]
    ) {
      const command = args[0] as { constructor: { name: string }; input?: { Key?: Record<string, unknown> } };
      const stopRead =
        command.constructor.name === "GetCommand" &&
        Object.values(command.input?.Key ?? {}).includes(UPDATER_KEYS.emergencyStop);
      if (stopRead && described && overlapped === undefined) {
        for (let waited = 0; !watchScheduled && waited < 3_000; waited += 20) await sleep(20);
        overlapped = watchScheduled;
        await setEmergencyStop(f.stack.updater, { reason: "incident 12", setBy: "security:erin" });
      }
      return (documents as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } as DynamoDBDocumentClient["send"]);
    await f.schedule(integration, next);
    await f.advanceTo(next.graceEndsAt);
    expect(overlapped).toBe(true);
    expect(calls.count("ExecuteChangeSetCommand")).toBe(0);
    await expectStopped(integration, "incident 12");
  }, 300_000);
});
