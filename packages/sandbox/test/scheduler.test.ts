import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
} from "@aws-sdk/client-scheduler";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { assume, config, failure, policy, putRole, REGION, UPDATER } from "./helpers";

const EXECUTOR = `arn:aws:lambda:${REGION}:${UPDATER}:function:stackfleet-executor`;
const SCHEDULER_ROLE = `arn:aws:iam::${UPDATER}:role/stackfleet-scheduler`;
const DLQ = `arn:aws:sqs:${REGION}:${UPDATER}:stackfleet-dlq`;

function oneShot(
  name: string,
  at: string,
  extra: Partial<CreateScheduleCommandInput> = {},
): CreateScheduleCommandInput {
  return {
    Name: name,
    ScheduleExpression: `at(${at})`,
    FlexibleTimeWindow: { Mode: "OFF" },
    ActionAfterCompletion: "DELETE",
    Target: {
      Arn: EXECUTOR,
      RoleArn: SCHEDULER_ROLE,
      Input: JSON.stringify({ runId: name }),
      DeadLetterConfig: { Arn: DLQ },
    },
    ...extra,
  };
}

describe("sandbox EventBridge Scheduler", () => {
  let sandbox: Sandbox;
  let scheduler: SchedulerClient;
  let received: string[];

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
    scheduler = new SchedulerClient(config(sandbox, UPDATER));
    sandbox.targets.register(EXECUTOR, (input) => {
      received.push(input);
    });
  });

  beforeEach(() => {
    received = [];
  });

  afterAll(() => sandbox.stop());

  it("a one-shot schedule fires once at its time, then is deleted (ActionAfterCompletion: DELETE)", async () => {
    const now = sandbox.clock.now().getTime();
    await scheduler.send(new CreateScheduleCommand(oneShot("run_once", "2030-01-01T10:00:00")));

    await sandbox.control.advanceClock(Date.parse("2030-01-01T09:59:59Z") - now);
    expect(received).toEqual([]);
    await scheduler.send(new GetScheduleCommand({ Name: "run_once" }));

    await sandbox.control.advanceClock(1000);
    expect(received).toEqual([JSON.stringify({ runId: "run_once" })]);
    const gone = await failure(() => scheduler.send(new GetScheduleCommand({ Name: "run_once" })));
    expect(gone).toBeInstanceOf(ResourceNotFoundException);

    await sandbox.control.advanceClock(3_600_000);
    expect(received).toHaveLength(1);
  });

  it("without ActionAfterCompletion the fired one-shot is kept but never fires again", async () => {
    const at = new Date(sandbox.clock.now().getTime() + 60_000).toISOString().slice(0, 19);
    await scheduler.send(new CreateScheduleCommand(oneShot("kept", at, { ActionAfterCompletion: undefined })));

    await sandbox.control.advanceClock(60_000);
    await sandbox.control.advanceClock(3_600_000);

    expect(received).toHaveLength(1);
    const kept = await scheduler.send(new GetScheduleCommand({ Name: "kept" }));
    expect(kept).toMatchObject({ Name: "kept", State: "ENABLED", ActionAfterCompletion: "NONE" });
  });

  it("at() is read in ScheduleExpressionTimezone", async () => {
    const day = sandbox.clock.now().toISOString().slice(0, 10);
    const next = new Date(Date.parse(`${day}T00:00:00Z`) + 2 * 86_400_000).toISOString().slice(0, 10);
    await scheduler.send(
      new CreateScheduleCommand(oneShot("berlin", `${next}T10:00:00`, { ScheduleExpressionTimezone: "Europe/Berlin" })),
    );

    // 10:00 in Berlin in January is 09:00 UTC.
    await sandbox.control.advanceClock(Date.parse(`${next}T08:59:59Z`) - sandbox.clock.now().getTime());
    expect(received).toHaveLength(0);
    await sandbox.control.advanceClock(1000);
    expect(received).toHaveLength(1);
  });

  it("a duplicate name is a ConflictException; the SDK retrying with the same ClientToken is not", async () => {
    await scheduler.send(new CreateScheduleCommand(oneShot("dup", "2031-01-01T00:00:00", { ClientToken: "token-1" })));

    const again = await scheduler.send(
      new CreateScheduleCommand(oneShot("dup", "2031-01-01T00:00:00", { ClientToken: "token-1" })),
    );
    expect(again.ScheduleArn).toBe(`arn:aws:scheduler:${REGION}:${UPDATER}:schedule/default/dup`);
    const conflict = await failure(() =>
      scheduler.send(new CreateScheduleCommand(oneShot("dup", "2031-01-01T00:00:00"))),
    );
    expect(conflict).toBeInstanceOf(ConflictException);
    expect(conflict.$metadata?.httpStatusCode).toBe(409);
  });

  it("the deliver-twice switch delivers the next firing twice, with different execution ids", async () => {
    const seen: string[] = [];
    const target = `arn:aws:lambda:${REGION}:${UPDATER}:function:twice`;
    sandbox.targets.register(target, (input) => {
      seen.push(input);
    });
    const at = new Date(sandbox.clock.now().getTime() + 60_000).toISOString().slice(0, 19);
    await scheduler.send(
      new CreateScheduleCommand(
        oneShot("twice", at, {
          Target: { Arn: target, RoleArn: SCHEDULER_ROLE, Input: '{"executionId":"<aws.scheduler.execution-id>"}' },
        }),
      ),
    );
    sandbox.control.deliverTwice();

    await sandbox.control.advanceClock(60_000);

    expect(seen).toHaveLength(2);
    expect(seen[0]).not.toBe(seen[1]);
  });

  it("a failing handler gets Lambda's two async retries, then the event is dead-lettered", async () => {
    let calls = 0;
    const target = `arn:aws:lambda:${REGION}:${UPDATER}:function:broken`;
    sandbox.targets.register(target, () => {
      calls++;
      throw new Error("boom");
    });
    const at = new Date(sandbox.clock.now().getTime() + 60_000).toISOString().slice(0, 19);
    await scheduler.send(
      new CreateScheduleCommand(
        oneShot("broken", at, { Target: { Arn: target, RoleArn: SCHEDULER_ROLE, DeadLetterConfig: { Arn: DLQ } } }),
      ),
    );

    await sandbox.control.advanceClock(60_000);

    expect(calls).toBe(3);
    expect(sandbox.control.deadLetters().filter((d) => d.targetArn === target)).toEqual([
      expect.objectContaining({ dlqArn: DLQ, reason: expect.stringContaining("boom") }),
    ]);
    // Deleted even though every attempt failed, as AWS documents for ActionAfterCompletion: DELETE.
    expect(await failure(() => scheduler.send(new GetScheduleCommand({ Name: "broken" })))).toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it("an unknown target ARN is a failed delivery recorded as a dead letter", async () => {
    const target = `arn:aws:lambda:${REGION}:${UPDATER}:function:nobody`;
    const at = new Date(sandbox.clock.now().getTime() + 60_000).toISOString().slice(0, 19);
    await scheduler.send(
      new CreateScheduleCommand(oneShot("nobody", at, { Target: { Arn: target, RoleArn: SCHEDULER_ROLE } })),
    );

    await sandbox.control.advanceClock(60_000);

    expect(sandbox.control.deadLetters().some((d) => d.targetArn === target)).toBe(true);
  });

  it("rejects invalid names, windows, retry policies and expressions with ValidationException", async () => {
    const bad: CreateScheduleCommandInput[] = [
      oneShot("bad name!", "2031-01-01T00:00:00"),
      oneShot("flex", "2031-01-01T00:00:00", { FlexibleTimeWindow: { Mode: "FLEXIBLE" } }),
      oneShot("expr", "2031-13-01T00:00:00"),
      oneShot("tz", "2031-01-01T00:00:00", { ScheduleExpressionTimezone: "Mars/Olympus" }),
      oneShot("retry", "2031-01-01T00:00:00", {
        Target: { Arn: EXECUTOR, RoleArn: SCHEDULER_ROLE, RetryPolicy: { MaximumEventAgeInSeconds: 30 } },
      }),
      { ...oneShot("window", "2031-01-01T00:00:00"), FlexibleTimeWindow: undefined },
    ];
    for (const input of bad) {
      expect(await failure(() => scheduler.send(new CreateScheduleCommand(input)))).toBeInstanceOf(ValidationException);
    }
  });

  it("schedules live in groups: a missing group is ResourceNotFound, a created one lists its schedules", async () => {
    const missing = await failure(() =>
      scheduler.send(new CreateScheduleCommand(oneShot("x", "2031-01-01T00:00:00", { GroupName: "nope" }))),
    );
    expect(missing).toBeInstanceOf(ResourceNotFoundException);

    await scheduler.send(new CreateScheduleGroupCommand({ Name: "stackfleet-runs" }));
    await scheduler.send(
      new CreateScheduleCommand(oneShot("in-group", "2031-01-01T00:00:00", { GroupName: "stackfleet-runs" })),
    );

    const listed = await scheduler.send(new ListSchedulesCommand({ GroupName: "stackfleet-runs" }));
    expect(listed.Schedules?.map((s) => s.Name)).toEqual(["in-group"]);
    await scheduler.send(new DeleteScheduleCommand({ Name: "in-group", GroupName: "stackfleet-runs" }));
    expect((await scheduler.send(new ListSchedulesCommand({ GroupName: "stackfleet-runs" }))).Schedules).toEqual([]);
  });

  it("UpdateSchedule replaces every field: what the update omits is gone", async () => {
    await scheduler.send(
      new CreateScheduleCommand(
        oneShot("replaced", "2031-01-01T00:00:00", { Description: "first", ActionAfterCompletion: "DELETE" }),
      ),
    );

    await scheduler.send(
      new UpdateScheduleCommand({
        ...oneShot("replaced", "2031-02-01T00:00:00"),
        Description: undefined,
        ActionAfterCompletion: undefined,
      }),
    );

    const updated = await scheduler.send(new GetScheduleCommand({ Name: "replaced" }));
    expect(updated.ScheduleExpression).toBe("at(2031-02-01T00:00:00)");
    expect(updated.Description).toBeUndefined();
    expect(updated.ActionAfterCompletion).toBe("NONE");
    expect(updated.CreationDate).toBeInstanceOf(Date);
  });

  it("a session without scheduler permissions is denied; iam:PassRole is needed for the target role", async () => {
    const trust = policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" });
    const reader = putRole(sandbox, UPDATER, "reader", trust, {
      read: policy({ Effect: "Allow", Action: "scheduler:GetSchedule", Resource: "*" }),
    });
    const creator = putRole(sandbox, UPDATER, "creator", trust, {
      create: policy({ Effect: "Allow", Action: "scheduler:CreateSchedule", Resource: "*" }),
    });

    const asReader = new SchedulerClient(config(sandbox, await assume(sandbox, UPDATER, reader.arn)));
    const denied = await failure(() =>
      asReader.send(new CreateScheduleCommand(oneShot("denied", "2031-01-01T00:00:00"))),
    );
    expect(denied.name).toBe("AccessDeniedException");
    expect(denied.$metadata?.httpStatusCode).toBe(403);

    const asCreator = new SchedulerClient(config(sandbox, await assume(sandbox, UPDATER, creator.arn)));
    const noPass = await failure(() =>
      asCreator.send(new CreateScheduleCommand(oneShot("nopass", "2031-01-01T00:00:00"))),
    );
    expect(noPass.message).toContain("iam:PassRole");
  });
});
