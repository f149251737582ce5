import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from "@aws-sdk/client-cloudformation";
import { CreateScheduleCommand, GetScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Sandbox, type SandboxOptions, startSandbox } from "../src/index";
import { customerTemplate, EXECUTOR_ROLE, outputOf, waitForStack } from "./cloudformation-helpers";
import { assume, CUSTOMER, config, REGION, UPDATER } from "./helpers";

const START = new Date("2030-03-01T00:00:00Z");
const TARGET = `arn:aws:lambda:${REGION}:${UPDATER}:function:executor`;

describe("sandbox state survives a restart on the same data dir", () => {
  let dataDir: string;
  let sandbox: Sandbox | undefined;

  const start = async (extra: SandboxOptions = {}) => {
    sandbox = await startSandbox({ port: 0, clock: "manual", dataDir, ...extra });
    return sandbox;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "sandbox-state-"));
  });

  afterEach(async () => {
    await sandbox?.stop();
    sandbox = undefined;
    await rm(dataDir, { recursive: true, force: true });
  });

  async function createStackAndSchedule(first: Sandbox) {
    first.control.putRole({
      accountId: UPDATER,
      roleName: "stackfleet-executor",
      trustPolicy: { Statement: [{ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }] },
      inlinePolicies: { assume: { Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }] } },
    });
    const cfn = new CloudFormationClient(config(first, CUSTOMER));
    await cfn.send(
      new CreateStackCommand({
        StackName: "Acme-integration",
        TemplateBody: customerTemplate(),
        Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-1" }],
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    await new SchedulerClient(config(first, UPDATER)).send(
      new CreateScheduleCommand({
        Name: "run_01J",
        ScheduleExpression: "at(2030-03-02T00:00:00)",
        FlexibleTimeWindow: { Mode: "OFF" },
        ActionAfterCompletion: "DELETE",
        Target: { Arn: TARGET, RoleArn: `arn:aws:iam::${UPDATER}:role/scheduler`, Input: '{"runId":"run_01J"}' },
      }),
    );
    return waitForStack(cfn, "Acme-integration");
  }

  it("reloads stacks (template, parameters, outputs, events), stack-made roles and schedules", async () => {
    const first = await start({ startTime: START });
    const before = await createStackAndSchedule(first);
    const cfnBefore = new CloudFormationClient(config(first, CUSTOMER));
    const eventsBefore = (await cfnBefore.send(new DescribeStackEventsCommand({ StackName: "Acme-integration" })))
      .StackEvents;
    await first.stop();

    const second = await start();
    const cfn = new CloudFormationClient(config(second, CUSTOMER));
    const after = (await cfn.send(new DescribeStacksCommand({ StackName: "Acme-integration" }))).Stacks![0]!;
    const schedule = await new SchedulerClient(config(second, UPDATER)).send(
      new GetScheduleCommand({ Name: "run_01J" }),
    );

    expect(first.restored).toBeUndefined();
    // What `npm start`'s banner reports: the stack, the schedule still to fire, the stack's roles + the seeded one.
    expect(second.restored).toMatchObject({ stacks: 1, schedules: 1, clockAt: second.clock.now() });
    expect(second.restored!.roles).toBe(second.roles.listRoles().length);
    expect(after).toEqual(before);
    expect(after.StackStatus).toBe("CREATE_COMPLETE");
    expect((await cfn.send(new GetTemplateCommand({ StackName: "Acme-integration" }))).TemplateBody).toBe(
      customerTemplate(),
    );
    expect((await cfn.send(new DescribeStackEventsCommand({ StackName: "Acme-integration" }))).StackEvents).toEqual(
      eventsBefore,
    );
    expect(schedule).toMatchObject({ Name: "run_01J", State: "ENABLED", Target: { Input: '{"runId":"run_01J"}' } });
    // The role the stack created is back in IAM and still trusts the (also restored) executor role.
    const executor = await assume(second, UPDATER, EXECUTOR_ROLE);
    await expect(assume(second, executor, outputOf(after, "UpdateRoleArn")!, { ExternalId: "ext-1" })).resolves.toEqual(
      expect.objectContaining({ accessKeyId: expect.stringMatching(/^ASIA/) }),
    );
  });

  it("keeps the manual clock where it stopped, and a restored schedule still fires on time", async () => {
    const first = await start({ startTime: START });
    await createStackAndSchedule(first);
    await first.control.advanceClock(3_600_000);
    await first.stop();

    const second = await start();
    const seen: string[] = [];
    second.targets.register(TARGET, (input) => void seen.push(input));

    expect(second.clock.now()).toEqual(new Date("2030-03-01T01:00:00Z"));
    await second.control.advanceClock(22 * 3_600_000);
    expect(seen).toEqual([]);
    await second.control.advanceClock(3_600_000);
    expect(seen).toEqual(['{"runId":"run_01J"}']);
  });

  it("writes on its own shortly after a change (debounced), atomically, with no temp file left", async () => {
    const first = await start({ startTime: START, saveDebounceMs: 20 });
    await new SchedulerClient(config(first, UPDATER)).send(
      new CreateScheduleCommand({
        Name: "written-without-stop",
        ScheduleExpression: "at(2030-03-02T00:00:00)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: { Arn: TARGET, RoleArn: `arn:aws:iam::${UPDATER}:role/scheduler` },
      }),
    );

    await expect
      .poll(async () => (await readFile(first.stateFile!, "utf8").catch(() => "")).includes("written-without-stop"))
      .toBe(true);
    expect(await readdir(dataDir)).toEqual(["sandbox-state.json"]);
  });

  it("refuses to start on a corrupt state file instead of silently starting empty", async () => {
    await writeFile(join(dataDir, "sandbox-state.json"), '{"format":99}');

    await expect(startSandbox({ port: 0, clock: "manual", dataDir })).rejects.toThrow(/not a sandbox state file/);
  });

  it("without a data dir keeps everything in memory and writes nothing", async () => {
    const memory = await startSandbox({ port: 0, clock: "manual", startTime: START });
    await createStackAndSchedule(memory);
    await memory.stop();

    expect(memory.stateFile).toBeUndefined();
    expect(await readdir(dataDir)).toEqual([]);
  });
});
