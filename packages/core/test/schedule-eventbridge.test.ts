import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
  SchedulerServiceException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-scheduler";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { isStackfleetError, type StackfleetError } from "../src/error";
import { createEventBridgeRunScheduler, type EventBridgeSchedulerSettings } from "../src/schedule/eventbridge";

const settings: EventBridgeSchedulerSettings = {
  groupName: "stackfleet-updater",
  executorArn: "arn:aws:lambda:eu-west-1:111122223333:function:executor",
  schedulerRoleArn: "arn:aws:iam::111122223333:role/scheduler-invoke-executor",
  deadLetterArn: "arn:aws:sqs:eu-west-1:111122223333:schedules-dlq",
};
const now = () => new Date("2026-05-01T10:00:00Z");
const runId = "run_01JDQ3ZV6C2T7RZ0W8M7G4Y2K1";
const request = { runId, at: new Date("2026-05-02T08:30:00Z"), kind: "run" as const, attempt: 1 };

/**
 * The happy path goes over the wire: a real SchedulerClient against a local endpoint that
 * records what it receives, so the assertions see Scheduler's JSON, not our objects.
 */
describe("EventBridge run scheduler on the wire", () => {
  let server: Server;
  let received: { method: string; path: string; body: Record<string, unknown> }[];
  let client: SchedulerClient;

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
      req.on("end", () => {
        received.push({
          method: req.method ?? "",
          path: decodeURIComponent(req.url ?? ""),
          body: text ? JSON.parse(text) : {},
        });
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ScheduleArn: "arn:aws:scheduler:eu-west-1:111122223333:schedule/g/n" }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    client = new SchedulerClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: "eu-west-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      maxAttempts: 1,
    });
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    received = [];
  });

  it("creates a one-shot, self-deleting schedule whose only input is the run id", async () => {
    const scheduler = createEventBridgeRunScheduler(settings, { client, now });
    const result = await scheduler.scheduleRun(request);

    expect(result).toEqual({ name: `${runId}.run.1`, created: true });
    expect(received).toHaveLength(1);
    const [call] = received;
    expect(call?.method).toBe("POST");
    expect(call?.path).toBe(`/schedules/${runId}.run.1`);
    expect(call?.body).toEqual({
      GroupName: "stackfleet-updater",
      ScheduleExpression: "at(2026-05-02T08:30:00)",
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow: { Mode: "OFF" },
      ActionAfterCompletion: "DELETE",
      ClientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      Target: {
        Arn: settings.executorArn,
        RoleArn: settings.schedulerRoleArn,
        Input: `{"runId":"${runId}"}`,
        RetryPolicy: { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 10 },
        DeadLetterConfig: { Arn: settings.deadLetterArn },
      },
    });
    expect(scheduler.counters).toEqual({ create: 1, delete: 0, throttled: 0 });
  });

  it("uses a flexible window and retry policy from the settings", async () => {
    const scheduler = createEventBridgeRunScheduler(
      { ...settings, flexibleWindowMinutes: 15, retryPolicy: { maximumEventAgeSeconds: 600, maximumRetryAttempts: 3 } },
      { client, now },
    );
    await scheduler.scheduleRun(request);
    const target = received[0]?.body.Target as { RetryPolicy: unknown };
    expect(received[0]?.body.FlexibleTimeWindow).toEqual({ Mode: "FLEXIBLE", MaximumWindowInMinutes: 15 });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 600, MaximumRetryAttempts: 3 });
  });

  it("pushes a fire time that is past or too close to now out to now + the minimum lead", async () => {
    const scheduler = createEventBridgeRunScheduler(settings, { client, now });
    await scheduler.scheduleRun({ ...request, at: new Date("2026-04-30T00:00:00Z") });
    await scheduler.scheduleRun({ ...request, attempt: 2, at: new Date("2026-05-01T10:00:30.500Z") });
    expect(received.map((r) => r.body.ScheduleExpression)).toEqual([
      "at(2026-05-01T10:01:00)",
      "at(2026-05-01T10:01:00)",
    ]);
  });

  it("deletes by name in the group", async () => {
    const scheduler = createEventBridgeRunScheduler(settings, { client, now });
    await scheduler.cancel(`${runId}.run.1`);
    expect(received[0]?.method).toBe("DELETE");
    expect(received[0]?.path).toMatch(new RegExp(`^/schedules/${runId}\\.run\\.1\\?.*groupName=stackfleet-updater`));
    expect(scheduler.counters.delete).toBe(1);
  });
});

describe("EventBridge run scheduler under faults", () => {
  // Mock this one instance: a class-wide mock would also catch the wire tests' client.
  const client = new SchedulerClient({ region: "eu-west-1" });
  const mock = mockClient(client);
  let sleeps: number[];
  const build = (maxAttempts = 4) =>
    createEventBridgeRunScheduler(settings, {
      client,
      now,
      backoff: {
        maxAttempts,
        baseDelayMs: 100,
        maxDelayMs: 250,
        random: () => 0.5,
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
    });
  const throttling = () =>
    new ThrottlingException({ message: "Rate exceeded", Message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });
  const withStatus = (status: number) =>
    new SchedulerServiceException({
      name: "ServiceUnavailable",
      $fault: "server",
      message: "busy",
      $metadata: { httpStatusCode: status },
    });

  const rejection = async (promise: Promise<unknown>): Promise<StackfleetError> => {
    try {
      await promise;
    } catch (e) {
      if (isStackfleetError(e)) return e;
      throw e;
    }
    throw new Error("expected a rejection");
  };

  beforeEach(() => {
    mock.reset();
    sleeps = [];
  });

  it("retries throttling with exponential backoff and full jitter, then succeeds", async () => {
    mock
      .on(CreateScheduleCommand)
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .rejectsOnce(throttling())
      .resolves({});
    const scheduler = build();
    expect(await scheduler.scheduleRun(request)).toEqual({ name: `${runId}.run.1`, created: true });
    // random 0.5 × min(250, 100·2^n) for n = 0, 1, 2
    expect(sleeps).toEqual([50, 100, 125]);
    expect(scheduler.counters).toEqual({ create: 4, delete: 0, throttled: 3 });
  });

  it("retries the same request, token included", async () => {
    mock.on(CreateScheduleCommand).rejectsOnce(throttling()).resolves({});
    await build().scheduleRun(request);
    const [first, second] = mock.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input);
    expect(second).toEqual(first);
  });

  it.each([429, 503])("treats HTTP %i as throttling", async (status) => {
    mock.on(CreateScheduleCommand).rejectsOnce(withStatus(status)).resolves({});
    expect((await build().scheduleRun(request)).created).toBe(true);
    expect(sleeps).toHaveLength(1);
  });

  it("gives up after the attempt budget with an `unavailable` error", async () => {
    mock.on(CreateScheduleCommand).rejects(throttling());
    const scheduler = build(3);
    const error = await rejection(scheduler.scheduleRun(request));
    expect(error).toMatchObject({ kind: "unavailable", code: "scheduler_throttled" });
    expect(mock.commandCalls(CreateScheduleCommand)).toHaveLength(3);
    expect(sleeps).toHaveLength(2);
    expect(scheduler.counters).toEqual({ create: 3, delete: 0, throttled: 3 });
  });

  it("reads ConflictException on create as already scheduled, without retrying", async () => {
    mock
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: "exists", Message: "exists", $metadata: {} }));
    expect(await build().scheduleRun(request)).toEqual({ name: `${runId}.run.1`, created: false });
    expect(mock.commandCalls(CreateScheduleCommand)).toHaveLength(1);
  });

  it("sends a create again after a timeout or a 5xx (the ClientToken makes it a replay), not counted as throttling", async () => {
    const timeout = Object.assign(new Error("socket hang up"), { name: "TimeoutError" });
    mock.on(CreateScheduleCommand).rejectsOnce(timeout).rejectsOnce(withStatus(500)).resolves({});
    const scheduler = build();
    expect(await scheduler.scheduleRun(request)).toEqual({ name: `${runId}.run.1`, created: true });
    const tokens = mock.commandCalls(CreateScheduleCommand).map((c) => c.args[0].input.ClientToken);
    expect(new Set(tokens).size).toBe(1);
    expect(scheduler.counters).toEqual({ create: 3, delete: 0, throttled: 0 });
  });

  it("takes a token from the rate limiter before every attempt, retries included", async () => {
    mock.on(CreateScheduleCommand).rejectsOnce(throttling()).resolves({});
    let taken = 0;
    const scheduler = createEventBridgeRunScheduler(settings, {
      client,
      now,
      backoff: { sleep: async () => {}, random: () => 0 },
      rateLimiter: { take: async () => void taken++ },
    });
    await scheduler.scheduleRun(request);
    expect(taken).toBe(2);
  });

  it("wraps any other failure as `unavailable` without retrying", async () => {
    mock
      .on(CreateScheduleCommand)
      .rejects(
        new ValidationException({ message: "bad role", Message: "bad role", $metadata: { httpStatusCode: 400 } }),
      );
    const error = await rejection(build().scheduleRun(request));
    expect(error).toMatchObject({
      kind: "unavailable",
      code: "scheduler_failed",
      details: { awsError: "ValidationException" },
    });
    expect(sleeps).toEqual([]);
  });

  it("treats a schedule that is already gone as cancelled", async () => {
    mock
      .on(DeleteScheduleCommand)
      .rejects(new ResourceNotFoundException({ message: "gone", Message: "gone", $metadata: {} }));
    await expect(build().cancel(`${runId}.run.1`)).resolves.toBeUndefined();
  });

  it("retries a delete that conflicts with an in-flight change, and throttled deletes", async () => {
    mock
      .on(DeleteScheduleCommand)
      .rejectsOnce(new ConflictException({ message: "busy", Message: "busy", $metadata: {} }))
      .rejectsOnce(throttling())
      .resolves({});
    const scheduler = build();
    await scheduler.cancel(`${runId}.run.1`);
    expect(sleeps).toEqual([50, 100]);
    expect(scheduler.counters).toEqual({ create: 0, delete: 3, throttled: 1 });
  });

  it("wraps other delete failures as `unavailable`", async () => {
    mock
      .on(DeleteScheduleCommand)
      .rejects(new ValidationException({ message: "bad group", Message: "bad group", $metadata: {} }));
    expect(await rejection(build().cancel("x.run.1"))).toMatchObject({ kind: "unavailable", code: "scheduler_failed" });
  });
});

describe("settings", () => {
  const client = new SchedulerClient({ region: "eu-west-1" });
  it.each([
    ["an event age under a minute", { retryPolicy: { maximumEventAgeSeconds: 59, maximumRetryAttempts: 0 } }],
    ["more than 185 retries", { retryPolicy: { maximumEventAgeSeconds: 60, maximumRetryAttempts: 186 } }],
    ["a flexible window over a day", { flexibleWindowMinutes: 1441 }],
    ["a group name Scheduler refuses", { groupName: "has space" }],
    ["a target that is not an ARN", { executorArn: "executor" }],
  ])("rejects %s", (_, change) => {
    expect(() => createEventBridgeRunScheduler({ ...settings, ...change }, { client, now })).toThrow();
  });
});
