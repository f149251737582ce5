// Executor benchmark: AWS calls and DynamoDB requests per successful update, and the executor's
// own overhead against a bare script making the same SDK calls on the sandbox. Each stack update
// takes `updateSeconds` of the sandbox's clock (UPDATE_IN_PROGRESS). The executor's invocation ends
// at ExecuteChangeSet; a "watch" schedule a minute later (its own invocation) reads the status.
// The sandbox Scheduler delivers due schedules one at a time, so both sides update one stack after
// another. Before the measured round: DynamoDB Local's JVM is warmed with `jvmWarmupCalls`
// requests, and `warmupRounds` whole rounds (a version published, every stack updated by each
// side) compile both paths, so neither side pays the process's first-use costs alone.
//   npx tsx bench/executor.ts [updates=6] [updateSeconds=45] [warmupRounds=1] [jvmWarmupCalls=4000] [timeline]
// `timeline`: also every SDK request of the executor's phase (start and duration, ms from its
// first request), to see which calls are on the critical path; clearest with updates=1.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
} from "@aws-sdk/client-cloudformation";
import {
  BatchGetItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactGetItemsCommand,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { Integration } from "@stackfleet/core/integration";
import { installLinks } from "@stackfleet/core/integration/install";
import { silentLog } from "@stackfleet/core/log";
import { Run } from "@stackfleet/core/run";
import { runHint } from "@stackfleet/core/schedule";
import { Publish, Version } from "@stackfleet/core/version";
import { waitOnManualClock } from "@stackfleet/local/dev/manual-wait";
import { startDynamoDbLocal } from "@stackfleet/local/dynamodb";
import { startLocalStack } from "@stackfleet/local/stack";
import { countSdkCalls, SDK_CLIENTS } from "./sdk-calls";
import { dynamoRecorder } from "./support/dynamo-replay";

const [updates = 6, updateSeconds = 45, warmupRounds = 1, jvmWarmupCalls = 4_000] = process.argv
  .slice(2)
  .filter((a) => a !== "timeline")
  .map(Number);
const calls = countSdkCalls();
const recorder = dynamoRecorder();
const timeline = process.argv.includes("timeline") ? recordTimeline() : undefined;
const dynamo = await startDynamoDbLocal();
const stack = await startLocalStack({
  dynamoEndpoint: dynamo.endpoint,
  tableName: "bench-executor",
  dataDir: mkdtempSync(join(tmpdir(), "stackfleet-bench-")),
  host: "127.0.0.1",
  apiPort: 0,
  sandboxPort: 0,
  clock: "manual",
  startTime: new Date("2026-11-21T12:00:00.000Z"),
  log: silentLog,
});
const { deps, sandbox, config } = stack;
const regions = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "eu-west-1",
  "eu-west-2",
  "eu-central-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-northeast-1",
  "ca-central-1",
  "sa-east-1",
];
const targets = stack.accounts.customers
  .flatMap((a) => regions.map((region) => ({ accountId: a.accountId, region })))
  .slice(0, updates * 3);
if (targets.length < updates * 3)
  throw new Error(`at most ${Math.floor(targets.length / 3)} updates: three stacks each`);
const cfnAs = (accountId: string, region: string) =>
  new CloudFormationClient({ ...sandbox.clientConfig(accountId, region), maxAttempts: 1 });
const templateFor = (version: string, extra: string[]) =>
  stack.customerTemplate(version, extra.length ? [{ Effect: "Allow", Action: extra, Resource: "*" }] : []);

async function waitSettled(cfn: CloudFormationClient, stackName: string) {
  for (;;) {
    const status = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0]?.StackStatus ?? "";
    if (!status.endsWith("_IN_PROGRESS")) return status;
    await sleep(50);
  }
}

// Install and connect: a third of the stacks are updated by the executor, a third by the bare
// script, a third by the floor (the bare script plus the executor's DynamoDB requests replayed).
const connected = [];
for (const t of targets) {
  const integration = await Integration.create(deps, "ten_bench", "Acme-integration", t, "tenant:ten_bench");
  const links = installLinks(config, integration, await Version.latestPublished(deps));
  const cfn = cfnAs(t.accountId, t.region);
  await cfn.send(
    new CreateStackCommand({
      StackName: integration.stackName,
      TemplateURL: links!.templateUrl,
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      Parameters: [{ ParameterKey: "ExternalId", ParameterValue: integration.externalId }],
    }),
  );
  const installed = await waitSettled(cfn, integration.stackName);
  if (installed !== "CREATE_COMPLETE") throw new Error(`install of ${t.accountId}/${t.region} ended ${installed}`);
  connected.push((await Integration.getById(deps, integration.integrationId))!);
  // The callback route's per-source token bucket (burst 20, 1 a second) runs on this manual
  // clock: without time passing, the 21st stack's registration would be refused and roll back.
  sandbox.clock.advance(5_000);
}
const viaExecutor = connected.slice(0, updates);
const viaScript = connected.slice(updates, updates * 2);
const viaFloor = connected.slice(updates * 2);
// Each executor invocation's DynamoDB requests, recorded under its run, for the floor to replay.
const executorTarget = sandbox.targets.resolve(stack.executorArn)!;
sandbox.targets.register(stack.executorArn, (input) =>
  recorder.within(JSON.parse(input).runId as string, () => executorTarget(input)),
);
const clock = (() => {
  const c = sandbox.clock;
  if (c.kind !== "manual") throw new Error("manual clock expected");
  return c;
})();
sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: updateSeconds } });
const updater = stack.accounts.updater;

/** The executor's role (the sandbox's stand-in for Lambda's), then the customer's update role. */
async function assumeCustomer(integration: (typeof viaScript)[number]) {
  const admin = new STSClient(sandbox.clientConfig(updater, integration.region));
  const exec = (
    await admin.send(
      new AssumeRoleCommand({
        RoleArn: `arn:aws:iam::${updater.accountId}:role/${config.executorRoleName}`,
        RoleSessionName: "bare",
      }),
    )
  ).Credentials!;
  const sts = new STSClient({
    endpoint: sandbox.endpoint,
    region: integration.region,
    credentials: {
      accessKeyId: exec.AccessKeyId!,
      secretAccessKey: exec.SecretAccessKey!,
      sessionToken: exec.SessionToken,
    },
  });
  const c = (
    await sts.send(
      new AssumeRoleCommand({
        RoleArn: integration.updateRoleArn,
        RoleSessionName: "bare",
        ExternalId: integration.externalId,
        SourceIdentity: "bare",
      }),
    )
  ).Credentials!;
  return new CloudFormationClient({
    endpoint: sandbox.endpoint,
    region: integration.region,
    credentials: { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken },
  });
}

type Measured = Awaited<ReturnType<typeof measure>>;

/** Runs `work` with the call counter reset: its wall time, this process's CPU, its SDK calls and their latencies. */
async function measure(work: () => Promise<void>) {
  calls.reset();
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  return {
    ms: performance.now() - started,
    cpu: process.cpuUsage(cpu),
    calls: calls.snapshot(),
    waited: calls.waited(),
  };
}

/** One version published, then every stack of each third updated: by the executor, by the bare script, by the floor. */
async function round(n: number) {
  const versionName = `1.${n}.0`;
  // Each round's version widens the integration role a little more: a real change set every time.
  const extra = ["s3:GetBucketPolicy", "s3:GetBucketTagging", "s3:GetBucketLogging", "s3:GetBucketVersioning"];
  const templateBody = templateFor(versionName, extra.slice(0, 1 + ((n - 1) % extra.length)));
  const version = await Publish.publish(
    deps,
    deps.publishing,
    { templateBytes: new TextEncoder().encode(templateBody), version: versionName },
    "operator:bench",
  );

  // 1. The executor, fired by the sandbox Scheduler (which delivers due schedules one at a time).
  const runs: Awaited<ReturnType<typeof Run.create>>[] = [];
  for (const integration of viaExecutor) {
    const run = await Run.create(
      deps,
      {
        integrationId: integration.integrationId,
        tenantId: integration.tenantId,
        version: versionName,
        sequence: version.sequence,
        attempt: 1,
        scheduledFor: new Date(version.graceEndsAt),
      },
      { actor: "system:bench", action: "update.scheduled" },
    );
    const at = new Date(version.graceEndsAt);
    await stack.scheduler.scheduleRun({ runId: run.runId, at, kind: "run", attempt: 1, hint: runHint(run) });
    runs.push(run);
  }
  clock.set(new Date(new Date(version.graceEndsAt).getTime() - 1_000));
  const executor = await measure(async () => {
    timeline?.start();
    recorder.start();
    // Grace end, the first watch a minute after the go, later ones 1, 2, 4… minutes apart: enough for `updateSeconds`.
    await sandbox.control.advanceClock(62_000 + (updateSeconds + 7 * 60) * 1_000);
  });
  const executorTimeline = timeline?.stop();
  recorder.stop();
  const succeeded = (await Promise.all(runs.map((r) => Run.get(deps, r.runId)))).filter(
    (r) => r.state === "succeeded",
  ).length;

  // 2. A bare script: the same SDK calls, no checks, no table, no audit (`bareUpdate`).
  const script = await measure(async () => {
    for (const integration of viaScript) await bareUpdate(integration, n, templateBody);
  });
  // 3. The floor: the bare script, then the DynamoDB requests one executor run sent (both its
  // invocations), replayed as they were sent with none of the executor around them.
  const floor = await measure(async () => {
    for (const [i, integration] of viaFloor.entries()) {
      await bareUpdate(integration, n, templateBody);
      await recorder.replay(runs[i]!.runId);
    }
  });
  return { succeeded, executorTimeline, executor, script, floor, replayed: runs.map((r) => recorder.count(r.runId)) };
}

/**
 * One update the way a bare script makes it: the same SDK calls as the executor, no checks, no
 * table, no audit. It waits on the clock as the executor does (a minute after the go, then a minute
 * more), and like the executor's watch, which is an invocation of its own, it assumes the
 * customer's role again before each status read.
 */
async function bareUpdate(integration: (typeof viaScript)[number], n: number, templateBody: string) {
  const cfn = await assumeCustomer(integration);
  await cfn.send(new DescribeStacksCommand({ StackName: integration.stackName }));
  const { Id } = await cfn.send(
    new CreateChangeSetCommand({
      StackName: integration.stackName,
      ChangeSetName: `bare-${n}`,
      TemplateBody: templateBody,
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      RoleARN: integration.serviceRoleArn,
      Parameters: ["ExternalId", "EnableAutoUpdate", "PermissionsBoundaryArn"].map((k) => ({
        ParameterKey: k,
        UsePreviousValue: true,
      })),
    }),
  );
  // The executor waits (1 s locally, 5 s in AWS) before its one DescribeChangeSet.
  await waitOnManualClock(clock, sandbox.engine, 1_000);
  while (
    (await cfn.send(new DescribeChangeSetCommand({ StackName: integration.stackName, ChangeSetName: Id }))).Status !==
    "CREATE_COMPLETE"
  )
    clock.advance(1_000);
  await cfn.send(
    new ExecuteChangeSetCommand({
      StackName: integration.stackName,
      ChangeSetName: Id,
      ClientRequestToken: `bare-${n}`,
    }),
  );
  for (;;) {
    await waitOnManualClock(clock, sandbox.engine, 60_000);
    const watch = await assumeCustomer(integration);
    const { StackEvents } = await watch.send(new DescribeStackEventsCommand({ StackName: integration.stackName }));
    const stack = StackEvents?.find((e) => e.ResourceType === "AWS::CloudFormation::Stack");
    if (stack?.ResourceStatus === "UPDATE_COMPLETE") break;
  }
}

/**
 * DynamoDB Local's JVM compiles its hot paths only after thousands of requests (bench/api.ts: a
 * read's JVM CPU falls ≈ 3× over the first 10,000): unwarmed, its transactions take ≈ 10 ms and
 * the executor's nine requests would be measured against a cold stand-in for a warm service. The
 * request kinds the executor sends, `requests` of them, four in flight, on a scratch table.
 */
async function warmDynamoDbLocal(requests: number) {
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const TableName = "bench-jvm-warmup";
  await client.send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: ["pk", "sk"].map((AttributeName) => ({ AttributeName, AttributeType: "S" })),
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    }),
  );
  const key = (i: number) => ({ pk: { S: `p${i % 50}` }, sk: { S: `s${i % 7}` } });
  const kinds = [
    (i: number) =>
      new PutItemCommand({ TableName, Item: { ...key(i), n: { N: String(i) }, d: { S: "x".repeat(400) } } }),
    (i: number) => new GetItemCommand({ TableName, Key: key(i), ConsistentRead: true }),
    (i: number) =>
      new TransactWriteItemsCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              Item: { ...key(i), n: { N: String(i) } },
              ConditionExpression: "attribute_exists(pk) OR attribute_not_exists(pk)",
            },
          },
          {
            Update: {
              TableName,
              Key: key(i + 1),
              UpdateExpression: "SET n = :n",
              ExpressionAttributeValues: { ":n": { N: "1" } },
            },
          },
        ],
      }),
    (i: number) =>
      new TransactGetItemsCommand({
        TransactItems: [{ Get: { TableName, Key: key(i) } }, { Get: { TableName, Key: key(i + 2) } }],
      }),
    (i: number) =>
      new BatchGetItemCommand({ RequestItems: { [TableName]: { Keys: [key(i), key(i + 3), key(i + 4)] } } }),
    (i: number) =>
      new QueryCommand({
        TableName,
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": key(i).pk },
        Limit: 10,
      }),
  ];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < requests; i = next++) await client.send(kinds[i % kinds.length]!(i) as never);
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  client.destroy();
}

// Warm-up rounds first, both paths alike: the first updates of a process pay for compiling the
// SDK's, the sandbox's and our code (the executor's phase ran first and paid it alone).
await warmDynamoDbLocal(jvmWarmupCalls);
for (let n = 1; n <= warmupRounds; n++) await round(n);
const { succeeded, executorTimeline, executor, script, floor, replayed } = await round(warmupRounds + 1);
/** This process's CPU (executor, API, sandbox; not DynamoDB Local's JVM) per update, ms. */
const cpuMs = (used: NodeJS.CpuUsage, n: number) => +((used.user + used.system) / 1_000 / n).toFixed(1);

const perUpdate = (snapshot: Map<string, number>, n: number) =>
  Object.fromEntries(
    Object.entries(calls.byService(snapshot)).map(([service, count]) => [service, +(count / n).toFixed(2)]),
  );
const perUpdateOf = (phase: Measured, n: number) => ({
  wallMsPerUpdate: +(phase.ms / n).toFixed(1),
  cpuMsPerUpdate: cpuMs(phase.cpu, n),
  callsPerUpdate: perUpdate(phase.calls, n),
  // Summed request latencies by service, all updates together: where the wall time waits.
  waitedMs: phase.waited,
});
const report = {
  updates,
  succeeded,
  executor: perUpdateOf(executor, updates),
  bareScript: perUpdateOf(script, viaScript.length),
  overheadRatio: +(executor.ms / updates / (script.ms / viaScript.length)).toFixed(2),
  // The bare script plus each executor run's own DynamoDB requests replayed, nothing else: what
  // DynamoDB Local alone adds to the bare script. The executor's overhead can go no lower here.
  floor: { ...perUpdateOf(floor, viaFloor.length), replayedPerUpdate: replayed },
  floorRatio: +(floor.ms / viaFloor.length / (script.ms / viaScript.length)).toFixed(2),
  // The executor against a script making all its SDK calls, its DynamoDB requests included: what
  // the executor's own code adds.
  overFloorRatio: +(executor.ms / updates / (floor.ms / viaFloor.length)).toFixed(2),
  // STS, CloudFormation and Scheduler calls by operation, the API's registration proof included.
  awsByOperation: Object.fromEntries(
    [...executor.calls].filter(([k]) => !k.startsWith("dynamodb:")).map(([k, n]) => [k, +(n / updates).toFixed(2)]),
  ),
  dynamodbByOperation: Object.fromEntries(
    [...executor.calls]
      .filter(([k]) => k.startsWith("dynamodb:"))
      .map(([k, n]) => [k.slice(9), +(n / updates).toFixed(2)]),
  ),
};
console.log(JSON.stringify(report, null, 2));
if (executorTimeline) console.log(executorTimeline);
await stack.stop();
await dynamo.stop();

/** Every SDK request while recording: `service:Operation table`, start and duration in ms. */
function recordTimeline() {
  const rows: { op: string; start: number; end?: number }[] = [];
  let recording = false;
  for (const [service, client] of SDK_CLIENTS) {
    const prototype = client.prototype as { send: (...args: unknown[]) => Promise<unknown> };
    const original = prototype.send;
    prototype.send = function (this: unknown, ...args: unknown[]) {
      const result = original.apply(this, args);
      if (!recording) return result;
      const command = args[0] as { constructor: { name: string }; input?: Record<string, unknown> };
      const row = {
        op: `${service}:${command.constructor.name.replace(/Command$/, "")}${tableOf(command.input)}`,
        start: performance.now(),
      };
      rows.push(row);
      const settled = () => Object.assign(row, { end: performance.now() });
      result.then(settled, settled);
      return result;
    };
  }
  return {
    start: () => {
      rows.length = 0;
      recording = true;
    },
    stop: () => {
      recording = false;
      const t = rows[0]?.start ?? 0;
      // One update (updates=1): the first invocation ends with ExecuteChangeSet's answer; the
      // watch starts with the last TransactGet (the run's read) and ends with the last request.
      const go = rows.find((r) => r.op.startsWith("cloudformation:ExecuteChangeSet"));
      const watch = rows.findLast((r) => r.op.startsWith("dynamodb:TransactGet"));
      const last = Math.max(...rows.map((r) => r.end ?? r.start));
      const first = rows.filter((r) => r.start <= (go?.start ?? t));
      const ofWatch = rows.filter((r) => r.start >= (watch?.start ?? last));
      const spans = [
        `first invocation ${((go?.end ?? t) - t).toFixed(1)} ms: ${waits(first)}`,
        `watch ${(last - (watch?.start ?? last)).toFixed(1)} ms: ${waits(ofWatch)}`,
      ].join("\n");
      return `${spans}\n${rows
        .map(
          (r) =>
            `${(r.start - t).toFixed(1).padStart(9)} +${((r.end ?? r.start) - r.start).toFixed(1).padStart(6)}  ${r.op}`,
        )
        .join("\n")}`;
    },
  };
}

/**
 * Requests one after another, counted as the invocation waits for them: a request sent while
 * another is still out shares its wait. Load-independent, unlike the milliseconds beside it.
 */
function waits(rows: { op: string; start: number; end?: number }[]): string {
  let sequential = 0;
  let waitedMs = 0;
  let until = Number.NEGATIVE_INFINITY;
  for (const r of [...rows].sort((a, b) => a.start - b.start)) {
    const end = r.end ?? r.start;
    if (r.start >= until) {
      sequential++;
      waitedMs += end - r.start;
    } else if (end > until) waitedMs += end - until;
    until = Math.max(until, end);
  }
  return `${rows.length} requests, ${sequential} one after another, ${waitedMs.toFixed(1)} ms waiting on them`;
}

/** Which table a DynamoDB request went to: the updater's own or the main one. */
function tableOf(input: Record<string, unknown> | undefined): string {
  const name =
    (input?.TableName as string | undefined) ??
    Object.keys((input?.RequestItems as object | undefined) ?? {})[0] ??
    (((input?.TransactItems as Record<string, { TableName?: string }>[] | undefined)?.[0] &&
      Object.values((input!.TransactItems as Record<string, { TableName?: string }>[])[0]!)[0]?.TableName) as
      | string
      | undefined);
  return name ? ` ${name}` : "";
}
