import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "@stackfleet/core/context";
import type { CustomerAccess } from "@stackfleet/core/executor";
import { silentLog } from "@stackfleet/core/log";
import type { Notification } from "@stackfleet/core/notify/notifier";
import { sweep } from "@stackfleet/core/sweeper";
import { wireExecutor } from "@stackfleet/functions/wiring/executor";
import { executorAccess } from "@stackfleet/local/executor-role";
import { inject } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../../support/executor-fixture";
import { Faults, ProcessKilled } from "../../support/faults";

/** How long one executor invocation may run (Lambda's 15 minutes). */
const INVOCATION_MS = 900_000;

export interface ReliabilityFixture extends ExecutorFixture {
  faults: Faults;
  /** The executor's own table client: every call it makes goes through `faults`. */
  executorDeps: Deps;
  /** Every notification the executor's notifier published, in order. */
  published: Notification[];
  /** What each executor invocation ended with (a result, or the error it threw). */
  invocations: Array<{ runId?: string; outcome: string }>;
  /** One sweeper pass over the table (what the recurring schedule does), through the faulted client. */
  sweep: () => Promise<unknown>;
}

/**
 * The executor fixture with the executor rewired the way Lambda would run it, but with every
 * DynamoDB, CloudFormation and Scheduler call it makes passing through one `Faults` log: the
 * sandbox Scheduler delivers to this executor instead of the stack's own. The API side (publish,
 * halts, customer controls) keeps the stack's clean client — faults are in the executor only
 * unless a test attaches them elsewhere.
 */
export async function startReliabilityFixture(): Promise<ReliabilityFixture> {
  const f = await startExecutorFixture({ retryDelaysMs: [600_000, 1_200_000] });
  const { stack } = f;
  const faults = new Faults();
  const dynamo = new DynamoDBClient({
    endpoint: inject("dynamoEndpoint"),
    region: "local",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  faults.attach(dynamo, "dynamodb");
  const documentClient = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
  const updater = stack.accounts.updater;
  const schedulerClient = new SchedulerClient({ ...stack.sandbox.clientConfig(updater, "us-east-1"), maxAttempts: 1 });
  faults.attach(schedulerClient, "scheduler");
  const published: Notification[] = [];
  const notifier = { publish: async (batch: Notification[]) => void published.push(...batch) };
  const release = stack.deps.publishing.release;
  const executor = wireExecutor(
    {
      product: stack.config,
      tableName: stack.tableName,
      pinnedKeys: [...release.pinnedKeys],
      schedule: {
        groupName: "stackfleet",
        executorArn: stack.executorArn,
        schedulerRoleArn: `arn:aws:iam::${updater.accountId}:role/stackfleet-local-scheduler`,
        deadLetterArn: `arn:aws:sqs:us-east-1:${updater.accountId}:stackfleet-local-dlq`,
      },
    },
    {
      documentClient,
      now: () => stack.sandbox.clock.now(),
      templates: release.store,
      access: faultedAccess(executorAccess(stack.sandbox, updater, executorRoleArn(updater.accountId)), faults),
      schedulerClient,
      notifier,
      timings: { safetyMarginMs: 1_000, pollMs: { initial: 5_000, max: 30_000 }, retryDelaysMs: [600_000, 1_200_000] },
      sleep: async (ms) => stack.sandbox.clock.advance(ms),
    },
  );
  const invocations: ReliabilityFixture["invocations"] = [];
  const invoke = async (input: string) => {
    // The invocation's deadline on the sandbox clock, as every other time here (the STS session's too).
    const clock = stack.sandbox.clock;
    const started = clock.now().getTime();
    const runId = (JSON.parse(input) as { runId?: string }).runId;
    faults.revive();
    try {
      const result = await executor.handle(JSON.parse(input), {
        remainingMs: () => INVOCATION_MS - (clock.now().getTime() - started),
        log: silentLog,
      });
      invocations.push({ runId, outcome: result.result });
    } catch (e) {
      invocations.push({ runId, outcome: `threw ${(e as Error).name}` });
      throw e;
    } finally {
      // A killed process ends with its invocation; Lambda's retry is a new one.
      faults.revive();
    }
  };
  stack.sandbox.targets.register(stack.executorArn, invoke);
  const sweeper = {
    // An asynchronous Lambda invoke in AWS: what the executor does with it is not the sweeper's concern.
    redeliver: (runId: string) => invoke(JSON.stringify({ runId })).catch(() => undefined),
    notifier,
    log: silentLog,
  };
  const stop = f.stack.stop;
  return {
    ...f,
    stack: {
      ...stack,
      stop: async () => {
        await stop();
        dynamo.destroy();
        schedulerClient.destroy();
      },
    },
    faults,
    executorDeps: executor.core,
    published,
    invocations,
    sweep: () => sweep(executor.core, sweeper, { now: stack.sandbox.clock.now() }),
  };
}

const executorRoleArn = (account: string) => `arn:aws:iam::${account}:role/stackfleet-local-executor`;

/** The executor's customer access, with its CloudFormation clients on the fault log; a dead process cannot open any. */
function faultedAccess(inner: CustomerAccess, faults: Faults): CustomerAccess {
  return {
    async open(input) {
      if (faults.killed) throw new ProcessKilled("process killed before AssumeRole");
      const cfn = await inner.open(input);
      faults.attach(cfn, "cloudformation");
      return cfn;
    },
  };
}
