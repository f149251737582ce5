import { CreateScheduleCommand, CreateScheduleGroupCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { assume, config, failure, policy, putRole, REGION, UPDATER } from "./helpers";

const TRUST = policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" });
const CREATE = { Effect: "Allow", Action: ["scheduler:CreateSchedule", "iam:PassRole"], Resource: "*" };

describe("IAM decisions are cached per principal/action/resource/context and invalidated on change", () => {
  let sandbox: Sandbox;
  let n = 0;

  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
  });
  afterEach(() => sandbox.stop());

  const create = (who: Parameters<typeof config>[1], group?: string) =>
    new SchedulerClient(config(sandbox, who)).send(
      new CreateScheduleCommand({
        Name: `s${++n}`,
        ...(group && { GroupName: group }),
        ScheduleExpression: "at(2030-02-01T00:00:00)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: { Arn: `arn:aws:lambda:${REGION}:${UPDATER}:function:x`, RoleArn: `arn:aws:iam::${UPDATER}:role/s` },
      }),
    );

  it("repeated requests are simulated once, also for other resources the policies cannot tell apart", async () => {
    const role = putRole(sandbox, UPDATER, "planner", TRUST, { create: policy(CREATE) });
    const session = await assume(sandbox, UPDATER, role.arn);
    await create(session);
    const afterFirst = sandbox.authorizer.simulations;

    for (let i = 0; i < 5; i++) await create(session);

    expect(sandbox.authorizer.simulations).toBe(afterFirst);
  });

  it("a cached allow for one resource never leaks to a resource the policy does not cover", async () => {
    const scoped = {
      Effect: "Allow",
      Action: "scheduler:CreateSchedule",
      Resource: `arn:aws:scheduler:*:${UPDATER}:schedule/stackfleet/*`,
    };
    const passRole = { Effect: "Allow", Action: "iam:PassRole", Resource: "*" };
    const role = putRole(sandbox, UPDATER, "planner", TRUST, { create: policy(scoped, passRole) });
    const session = await assume(sandbox, UPDATER, role.arn);
    const scheduler = new SchedulerClient(config(sandbox, UPDATER));
    for (const Name of ["stackfleet", "other"]) await scheduler.send(new CreateScheduleGroupCommand({ Name }));

    await create(session, "stackfleet");
    await create(session, "stackfleet");

    expect((await failure(() => create(session, "other"))).name).toMatch(/^AccessDenied/);
    expect((await failure(() => create(session))).name).toMatch(/^AccessDenied/);
  });

  it("a policy taken away (or the role deleted) denies the next request at once", async () => {
    const role = putRole(sandbox, UPDATER, "planner", TRUST, { create: policy(CREATE) });
    const session = await assume(sandbox, UPDATER, role.arn);
    await create(session);

    sandbox.roles.putRole({ ...role, inlinePolicies: {} });
    expect((await failure(() => create(session))).name).toMatch(/^AccessDenied/);

    sandbox.roles.putRole(role);
    await create(session);
    sandbox.control.deleteRole(role.arn);
    expect((await failure(() => create(session))).name).toMatch(/^AccessDenied/);
  });

  it("a decision that depends on the time is never reused", async () => {
    const until = { DateLessThan: { "aws:CurrentTime": "2030-01-01T00:40:00Z" } };
    const role = putRole(sandbox, UPDATER, "planner", TRUST, { create: policy({ ...CREATE, Condition: until }) });
    const session = await assume(sandbox, UPDATER, role.arn);
    await create(session);

    await sandbox.control.advanceClock(30 * 60_000);
    await create(session);
    await sandbox.control.advanceClock(11 * 60_000);

    expect((await failure(() => create(session))).name).toMatch(/^AccessDenied/);
  });
});
