import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { fromEnv } from "@stackfleet/core/config";
import { silentLog } from "@stackfleet/core/log";
import { Run } from "@stackfleet/core/run";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { awsSweeperAdapters, SweeperConfig, wireSweeper } from "../src/wiring/sweeper";

const EXECUTOR = "arn:aws:lambda:eu-west-1:222222222222:function:stackfleet-production-updater-executor";
let store: TestStore;
let redelivered: string[];

beforeEach(async () => {
  store = await createTestStore();
  redelivered = [];
});

const wired = () =>
  wireSweeper(
    { tableName: store.tableName },
    { documentClient: store.documentClient, now: store.now, redeliver: async (id) => void redelivered.push(id) },
  );

const waiting = () =>
  Run.create(
    store,
    { integrationId: "int_1", tenantId: "ten_1", version: "1.1.0", sequence: 2, attempt: 1, scheduledFor: store.now() },
    { actor: "system:planner", action: "run.scheduled" },
  );

describe("the sweeper Lambda", () => {
  it("drains a dead-letter batch: each letter's waiting run goes back to the executor", async () => {
    const run = await waiting();
    const result = await wired().handle(
      { Records: [{ body: JSON.stringify({ runId: run.runId }) }, { body: "garbage" }] },
      { log: silentLog },
    );
    expect(result).toEqual({ redelivered: 1, settled: 0, unreadable: 1 });
    expect(redelivered).toEqual([run.runId]);
  });

  it("sweeps on its schedule's tick (any other event)", async () => {
    const run = await waiting();
    store.clock.advance(11 * 60_000);
    const result = await wired().handle({ source: "aws.events", "detail-type": "Scheduled Event" }, { log: silentLog });
    expect(result).toMatchObject({ overdueRuns: 1 });
    expect(redelivered).toEqual([run.runId]);
  });

  it("re-delivers in AWS as an asynchronous invoke of the executor with exactly { runId }", async () => {
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const config = fromEnv(SweeperConfig, { STACKFLEET_TABLE: "t", STACKFLEET_EXECUTOR_ARN: EXECUTOR });
    await awsSweeperAdapters(config).redeliver("run_01JD7Q8W9X0Y1Z2A3B4C5D6E7F");
    const input = lambda.commandCalls(InvokeCommand)[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: EXECUTOR, InvocationType: "Event" });
    expect(JSON.parse(new TextDecoder().decode(input.Payload as Uint8Array))).toEqual({
      runId: "run_01JD7Q8W9X0Y1Z2A3B4C5D6E7F",
    });
    lambda.restore();
  });

  it("refuses to start without its executor's ARN", () => {
    expect(() => fromEnv(SweeperConfig, { STACKFLEET_TABLE: "t" })).toThrow(/STACKFLEET_EXECUTOR_ARN/);
  });
});
