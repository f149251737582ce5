// Planning benchmark: a published version planned for N connected integrations (default 10,000)
// on DynamoDB Local and the sandbox Scheduler (its own process), through the production Scheduler
// adapter with the planner's token bucket, shards planned in parallel. Reports wall time, where it
// went (DynamoDB, Scheduler, notifications, CPU per process), requests per integration and the
// ratio to Scheduler's quota bound, for a first plan and an idempotent re-plan; writes BENCHMARKS.md.
//   npx tsx bench/planning.ts [integrations=10000] [concurrency=16] [budgetMs=840000] [rate=4500] [replan|no-replan]
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from "@aws-sdk/client-scheduler";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { isTransient } from "@stackfleet/core/aws/retry";
import { ensureTable } from "@stackfleet/core/db/create-table";
import { createService } from "@stackfleet/core/db/service";
import { ulidIds } from "@stackfleet/core/id";
import { PLAN_SHARDS } from "@stackfleet/core/integration/integration.entity";
import { DEFAULT_ROLLOUT_POLICY, type PlanResult, planVersion, type RolloutContext } from "@stackfleet/core/rollout";
import { createEventBridgeRunScheduler, createTokenBucket } from "@stackfleet/core/schedule";
import { createLocalNotifier } from "@stackfleet/local/dev/notifier";
import { startDynamoDbLocal } from "@stackfleet/local/dynamodb";
import { busyMeter, dynamoDbLocalPid, limitInFlight, meterClient, processCpuSeconds } from "./support/busy";
import { spawnSandbox } from "./support/spawn-sandbox";

const N = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const BUDGET_MS = Number(process.argv[4] ?? 840_000);
const RATE = Number(process.argv[5] ?? 4_500);
// The idempotent re-plan doubles the run; on the shared 2-core machine it is skipped past 20,000.
const REPLAN = (process.argv[6] ?? (N <= 20_000 ? "replan" : "no-replan")) === "replan";
const QUOTA = 5_000; // CreateSchedule/s, the large Regions' default (AWS-FACTS.md)
const START = new Date("2026-11-21T12:00:00.000Z");
const UPDATER = "222222222222";
const REGION = "eu-west-1";
const GROUP = "stackfleet-bench";

// On a loaded machine the JVM may miss startDynamoDbLocal's 30 s: try again rather than give up.
const dynamo = await startDynamoDbLocal().catch(() => startDynamoDbLocal().catch(() => startDynamoDbLocal()));
const client = new DynamoDBClient({
  endpoint: dynamo.endpoint,
  region: "local",
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  // DynamoDB Local runs transactions under one lock and gives up waiting for it under load
  // (InternalServerError "…will succeed in actual DynamoDB API"): let the SDK try again.
  maxAttempts: 10,
});
const dynamoMeter = meterClient(client);
const TRANSACTIONS_IN_FLIGHT = 2;
limitInFlight(client, "TransactWriteItems", TRANSACTIONS_IN_FLIGHT);
const dynamoPid = await dynamoDbLocalPid(dynamo.port);
// A failed run must not leave DynamoDB Local's JVM behind (the sandbox child stops when stdin closes).
process.on("exit", () => {
  try {
    if (dynamoPid) process.kill(dynamoPid);
  } catch {
    // Already stopped.
  }
});
const tableName = "bench-planning";
await ensureTable(client, tableName);
const clock = { now: () => new Date(START) };
const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const deps = { service: createService(documents, tableName), now: clock.now, newId: ulidIds(clock.now) };

const sandbox = await spawnSandbox(UPDATER, REGION, START);
const schedulerClient = new SchedulerClient({ ...sandbox, maxAttempts: 1 });
const schedulerMeter = meterClient(schedulerClient);
await schedulerClient.send(new CreateScheduleGroupCommand({ Name: GROUP }));
const target = {
  executorArn: `arn:aws:lambda:${REGION}:${UPDATER}:function:stackfleet-executor`,
  schedulerRoleArn: `arn:aws:iam::${UPDATER}:role/stackfleet-scheduler`,
  deadLetterArn: `arn:aws:sqs:${REGION}:${UPDATER}:stackfleet-dlq`,
};
const bucket = createTokenBucket({ ratePerSecond: RATE });
const scheduler = createEventBridgeRunScheduler(
  { groupName: GROUP, ...target },
  { client: schedulerClient, now: clock.now, rateLimiter: bucket },
);
const local = createLocalNotifier();
const notifyMeter = busyMeter();
const notifier = {
  publish: (batch: Parameters<typeof local.publish>[0]) => notifyMeter.time(() => local.publish(batch)),
};
const ctx: RolloutContext = { scheduler, policy: DEFAULT_ROLLOUT_POLICY, notifier, planConcurrency: CONCURRENCY };

/** A dropped connection to the overloaded sandbox is sent again, as the production adapter does. */
async function sendRetrying<T>(send: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= attempts || !isTransient(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

/** The local Scheduler's own bound: bare CreateSchedule calls, 64 in flight, no planner around them. */
async function schedulerAlone(n: number) {
  await schedulerClient.send(new CreateScheduleGroupCommand({ Name: `${GROUP}-alone` }));
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      for (let i = next++; i < n; i = next++)
        await sendRetrying(() =>
          schedulerClient.send(
            new CreateScheduleCommand({
              Name: `alone_${i}`,
              GroupName: `${GROUP}-alone`,
              ScheduleExpression: "at(2026-11-22T12:00:00)",
              FlexibleTimeWindow: { Mode: "OFF" },
              ActionAfterCompletion: "DELETE",
              Target: { Arn: target.executorArn, RoleArn: target.schedulerRoleArn, Input: `{"runId":"r${i}"}` },
            }),
          ),
        );
    }),
  );
  return n / ((performance.now() - started) / 1000);
}

// Seeding is not what is measured: integrations go in with batch puts, already connected, with
// the planning keys core derives (the shard is integration.ts's hash of the id).
const shardOf = (id: string) => createHash("sha256").update(id).digest().readUInt16BE(0) % PLAN_SHARDS;
const seedStarted = Date.now();
const now = START.toISOString();
// Eight batch writes in flight: seeding 100,000 one batch at a time takes longer than planning them.
const seedBatch = async (i: number) => {
  const items = Array.from({ length: Math.min(25, N - i) }, (_, k) => {
    const integrationId = deps.newId("integration");
    const accountId = String(300_000_000_000 + i + k);
    return {
      integrationId,
      tenantId: `ten_${(i + k) % 500}`,
      accountId,
      region: REGION,
      stackName: "Acme-integration",
      externalId: `ext-${integrationId}`,
      status: "connected" as const,
      autoUpdate: true,
      integrationRoleArn: `arn:aws:iam::${accountId}:role/Acme-integration-role`,
      updateRoleArn: `arn:aws:iam::${accountId}:role/Acme-update-role`,
      currentVersion: "1.0.0",
      currentSequence: 1,
      planState: "eligible" as const,
      planShard: shardOf(integrationId),
      createdAt: now,
      updatedAt: now,
      rev: 1,
    };
  });
  let pending = items;
  while (pending.length > 0)
    pending = (await deps.service.entities.integration.put(pending).go()).unprocessed as typeof items;
};
let nextSeed = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    for (let i = nextSeed; i < N; i = nextSeed) {
      nextSeed += 25;
      await seedBatch(i);
    }
  }),
);
const version = {
  version: "1.1.0",
  sequence: 2,
  templateSha256: "0".repeat(64),
  templateSize: 4096,
  templateLocation: "local://templates/bench",
  manifest: "e30=",
  signature: "AA==",
  keyId: "bench",
  changelogSummary: "Adds read access to S3 bucket policies",
  permissionsBroadened: false,
  approvalRequired: false,
  graceEndsAt: new Date(START.getTime() + 24 * 3_600_000).toISOString(),
  state: "published" as const,
  publishedBy: "operator:bench",
  createdAt: now,
  updatedAt: now,
};
await deps.service.entities.version.create(version).go();
console.log(`seeded ${N} integrations in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);
const aloneRate = await schedulerAlone(Math.min(N, 3_000));
console.log(`local Scheduler alone: ${aloneRate.toFixed(0)} CreateSchedule/s`);

const cpuOf = async () => ({
  planner: process.cpuUsage(),
  sandbox: await processCpuSeconds(sandbox.pid),
  dynamo: dynamoPid ? await processCpuSeconds(dynamoPid) : undefined,
});
const seconds = (ms: number) => ms / 1000;
const delta = (a?: number, b?: number) => (a === undefined || b === undefined ? undefined : b - a);

/** One plan, continued invocation by invocation the way the planner function's chain continues it. */
async function measure(label: string) {
  for (const m of [dynamoMeter, schedulerMeter]) m.reset();
  notifyMeter.reset();
  const cpuBefore = await cpuOf();
  const started = performance.now();
  let cursor: string | null = null;
  let invocations = 0;
  const total = { planned: 0, existing: 0, skipped: 0, rescheduled: 0 };
  do {
    const fresh = (await deps.service.entities.version.get({ sequence: version.sequence }).go()).data!;
    const r: PlanResult = await planVersion(deps, ctx, fresh, { cursor, budgetMs: BUDGET_MS });
    invocations++;
    total.planned += r.planned;
    total.existing += r.existing;
    total.skipped += r.skipped;
    total.rescheduled += r.rescheduled;
    cursor = r.cursor;
  } while (cursor);
  const wallMs = performance.now() - started;
  const cpuAfter = await cpuOf();
  const plannerCpu = process.cpuUsage(cpuBefore.planner);
  const result = {
    label,
    wallMs,
    invocations,
    ...total,
    dynamo: { total: dynamoMeter.total(), byOperation: dynamoMeter.snapshot(), ...dynamoMeter.busy.read() },
    scheduler: { total: schedulerMeter.total(), byOperation: schedulerMeter.snapshot(), ...schedulerMeter.busy.read() },
    notify: notifyMeter.read(),
    cpu: {
      planner: (plannerCpu.user + plannerCpu.system) / 1e6,
      sandbox: delta(cpuBefore.sandbox, cpuAfter.sandbox),
      dynamo: delta(cpuBefore.dynamo, cpuAfter.dynamo),
    },
  };
  console.log(JSON.stringify(result));
  return result;
}

const first = await measure("first plan");
const again = REPLAN ? await measure("re-plan (idempotent)") : undefined;

let schedules = 0;
let token: string | undefined;
do {
  const page = await schedulerClient.send(
    new ListSchedulesCommand({ GroupName: GROUP, NextToken: token, MaxResults: 100 }),
  );
  schedules += page.Schedules?.length ?? 0;
  token = page.NextToken;
} while (token);
if (schedules !== N || first.planned !== N || (again && again.planned !== 0))
  throw new Error(
    `expected ${N} runs and schedules once, got ${first.planned} runs, ${schedules} schedules, re-plan ${again?.planned}`,
  );

type Result = typeof first;
const per = (n: number) => (n / N).toFixed(3);
const s1 = (ms: number) => seconds(ms).toFixed(1);
const share = (ms: number, r: Result) => `${Math.round((100 * ms) / r.wallMs)} %`;
const cpu = (v?: number) => (v === undefined ? "n/a" : `${v.toFixed(1)} s`);
const fmt = (ops: Record<string, number>) =>
  Object.entries(ops)
    .map(([op, n]) => `${op} ${n}`)
    .join(", ");
const quotaBound = N / QUOTA;
const localBound = N / aloneRate;
const row = (r: Result) =>
  `| ${r.label} | ${s1(r.wallMs)} s | ${Math.round(N / seconds(r.wallMs))}/s | ${(seconds(r.wallMs) / quotaBound).toFixed(1)} | ${(seconds(r.wallMs) / localBound).toFixed(2)} | ${r.invocations} | ${r.planned} / ${r.existing} | ${r.dynamo.total} (${per(r.dynamo.total)}) | ${r.scheduler.total} (${per(r.scheduler.total)}) |`;
const split = (r: Result) =>
  `| ${r.label} | ${s1(r.dynamo.busyMs)} s (${share(r.dynamo.busyMs, r)}) | ${s1(r.scheduler.busyMs)} s (${share(r.scheduler.busyMs, r)}) | ${s1(r.notify.busyMs)} s, ${r.notify.count} batches | ${cpu(r.cpu.planner)} | ${cpu(r.cpu.sandbox)} | ${cpu(r.cpu.dynamo)} |`;

const block = `<!-- planning-${N}:start -->
### ${N.toLocaleString("en")} integrations

\`npx tsx bench/planning.ts ${N} ${CONCURRENCY} ${BUDGET_MS} ${RATE}\` — DynamoDB Local's transaction lock limits them to ${TRANSACTIONS_IN_FLIGHT} in flight (bench/support/busy.ts). ${cpus().length} cores shared with other work (load average ${loadavg()[0]!.toFixed(0)} at the end); Node ${process.version}; ${new Date().toISOString().slice(0, 16)} UTC.
Quota bound: ${N.toLocaleString("en")} / ${QUOTA.toLocaleString("en")} CreateSchedule/s = ${quotaBound.toFixed(1)} s. Local Scheduler bound: the same
sandbox answering bare CreateSchedule calls (64 in flight, no planner) managed ${aloneRate.toFixed(0)}/s → ${localBound.toFixed(1)} s.

| run | wall | integrations/s | × quota bound | × local Scheduler bound | invocations | runs created / existing | DynamoDB requests (per integration) | Scheduler calls (per integration) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${[first, again].flatMap((r) => (r ? [row(r)] : [])).join("\n")}

| run | DynamoDB busy | Scheduler busy | notifications | planner CPU | sandbox CPU | DynamoDB Local CPU |
| --- | --- | --- | --- | --- | --- | --- |
${[first, again].flatMap((r) => (r ? [split(r)] : [])).join("\n")}

By operation, first plan — DynamoDB: ${fmt(first.dynamo.byOperation)}; Scheduler: ${fmt(first.scheduler.byOperation)}.
${again ? `Re-plan — DynamoDB: ${fmt(again.dynamo.byOperation)}; Scheduler: ${fmt(again.scheduler.byOperation)}.` : "Re-plan not run at this size (see the 10,000 block)."}
<!-- planning-${N}:end -->`;

const file = new URL("../BENCHMARKS.md", import.meta.url);
const existing = readFileSync(file, "utf8");
const own = new RegExp(`<!-- planning-${N}:start -->[\\s\\S]*<!-- planning-${N}:end -->`);
// Each fleet size has its own block inside the hand-written "Rollout planning" section.
const next = own.test(existing)
  ? existing.replace(own, block)
  : existing.replace("<!-- planning:end -->", `${block}\n\n<!-- planning:end -->`);
writeFileSync(file, next);
console.log(block);

await sandbox.stop();
await dynamo.stop();
