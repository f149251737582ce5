// Sandbox Scheduler throughput: CreateSchedule calls per second through the production SDK client,
// signed with an assumed-role session whose policy is scoped to the schedule group (as the
// planner's role is), with the sandbox's IAM decision cache off and on, side by side.
//   npx tsx bench/sandbox-scheduler.ts [schedules=2000] [concurrency=16]
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { CreateScheduleCommand, CreateScheduleGroupCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { startSandbox } from "@stackfleet/sandbox/index";

const N = Number(process.argv[2] ?? 2000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const UPDATER = "222222222222";
const REGION = "eu-west-1";
const GROUP = "stackfleet";

async function run(cacheIamDecisions: boolean) {
  const sandbox = await startSandbox({
    port: 0,
    clock: "manual",
    startTime: new Date("2030-01-01T00:00:00Z"),
    cacheIamDecisions,
  });
  try {
    sandbox.control.putRole({
      accountId: UPDATER,
      roleName: "planner",
      trustPolicy: { Statement: [{ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }] },
      inlinePolicies: {
        schedules: {
          Statement: [
            {
              Effect: "Allow",
              Action: ["scheduler:CreateSchedule", "scheduler:DeleteSchedule"],
              Resource: `arn:aws:scheduler:${REGION}:${UPDATER}:schedule/${GROUP}/*`,
            },
            { Effect: "Allow", Action: "iam:PassRole", Resource: `arn:aws:iam::${UPDATER}:role/scheduler` },
          ],
        },
      },
    });
    const admin = sandbox.clientConfig(UPDATER, REGION);
    await new SchedulerClient(admin).send(new CreateScheduleGroupCommand({ Name: GROUP }));
    const { Credentials: c } = await new STSClient(admin).send(
      new AssumeRoleCommand({ RoleArn: `arn:aws:iam::${UPDATER}:role/planner`, RoleSessionName: "bench" }),
    );
    const scheduler = new SchedulerClient({
      ...admin,
      credentials: {
        accessKeyId: c!.AccessKeyId!,
        secretAccessKey: c!.SecretAccessKey!,
        sessionToken: c!.SessionToken!,
      },
    });
    const create = (i: number) =>
      scheduler.send(
        new CreateScheduleCommand({
          Name: `run_${String(i).padStart(8, "0")}`,
          GroupName: GROUP,
          ScheduleExpression: "at(2030-01-02T00:00:00)",
          FlexibleTimeWindow: { Mode: "OFF" },
          ActionAfterCompletion: "DELETE",
          Target: {
            Arn: `arn:aws:lambda:${REGION}:${UPDATER}:function:executor`,
            RoleArn: `arn:aws:iam::${UPDATER}:role/scheduler`,
            Input: JSON.stringify({ runId: `run_${i}` }),
          },
        }),
      );
    for (let i = 0; i < 50; i++) await create(-1 - i); // warm-up: JIT, connections
    const simulationsBefore = sandbox.authorizer.simulations;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < N; i = next++) await create(i);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    return { perSecond: N / seconds, seconds, simulations: sandbox.authorizer.simulations - simulationsBefore };
  } finally {
    await sandbox.stop();
  }
}

const off = await run(false);
const on = await run(true);
const row = (label: string, r: typeof off) =>
  `| ${label} | ${r.perSecond.toFixed(0)} | ${r.seconds.toFixed(2)} | ${r.simulations} |`;
console.log(`Sandbox CreateSchedule, ${N} schedules, concurrency ${CONCURRENCY}, assumed-role session:`);
console.log("| IAM decision cache | schedules/s | seconds | IAM simulations |");
console.log("| --- | --- | --- | --- |");
console.log(row("off (before)", off));
console.log(row("on (after)", on));
console.log(`speed-up: ${(on.perSecond / off.perSecond).toFixed(1)}×`);
