import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { silentLog } from "@stackfleet/core/log";
import type { Notification } from "@stackfleet/core/notify/notifier";
import { consumeDeadLetters, type DeadLetterCounts, sweep } from "@stackfleet/core/sweeper";
import { type ExecutorFixture, startExecutorFixture } from "../../support/executor-fixture";
import { Faults } from "../../support/faults";

export interface ReliabilityFixture extends ExecutorFixture {
  /** Every DynamoDB, CloudFormation and Scheduler call an executor invocation makes, and the faults in them. */
  faults: Faults;
  /** Notifications the sweeper delivered. */
  published: Notification[];
  /** Delivers `{ runId }` to the executor as the Scheduler would (one invocation, one process). */
  invoke(runId: string): Promise<void>;
  /** One sweeper pass (what the recurring schedule does every 5 minutes in AWS), after draining the dead letters. */
  sweep(): Promise<unknown>;
  /**
   * The sweeper's dead-letter trigger, fed what the sandbox put on the queue since the last drain
   * (the SQS event source mapping in AWS): Scheduler's and Lambda's dead letters.
   */
  drainDeadLetters(): Promise<DeadLetterCounts>;
  /** Every notification a customer received: the executor's own outbox deliveries and the sweeper's. */
  notifications(): Notification[];
}

/**
 * The executor fixture — the whole local Stackfleet, the executor wired exactly as `npm start`
 * wires it — with every executor invocation run as one simulated process whose DynamoDB,
 * CloudFormation and Scheduler calls pass through one `Faults` log. The API shares the executor's
 * table client but runs outside any process, so faults never reach it unless a test asks.
 */
export async function startReliabilityFixture(): Promise<ReliabilityFixture> {
  const f = await startExecutorFixture({ retryDelaysMs: [600_000, 1_200_000] });
  const { stack } = f;
  const faults = new Faults(true);
  // The stack's one document client, behind its ElectroDB entities (executor and API share it).
  const entity = stack.deps.service.entities.run as unknown as { client: { client: DynamoDBDocumentClient } };
  faults.attach(entity.client.client, "dynamodb");
  // The executor makes a CloudFormation client per run and its Scheduler client is private.
  faults.patch(CloudFormationClient, "cloudformation");
  faults.patch(SchedulerClient, "scheduler");

  const executor = stack.sandbox.targets.resolve(stack.executorArn);
  if (!executor) throw new Error("the stack registered no executor");
  // Lambda's asynchronous invocations: each one a process of its own.
  const invoke = async (input: string) => faults.run(async () => executor(input), input);
  stack.sandbox.targets.register(stack.executorArn, invoke);

  const published: Notification[] = [];
  const sweeper = {
    // An asynchronous Lambda invoke in AWS: whatever the executor does with it is its own business.
    redeliver: (runId: string) => invoke(JSON.stringify({ runId })).catch(() => undefined),
    notifier: { publish: async (batch: Notification[]) => void published.push(...batch) },
    log: silentLog,
  };
  let drained = 0;
  const drainDeadLetters = async () => {
    const letters = stack.sandbox.targets.deadLetters().slice(drained);
    drained += letters.length;
    return consumeDeadLetters(
      stack.deps,
      sweeper,
      letters.map((l) => l.input),
    );
  };
  const stop = stack.stop;
  return {
    ...f,
    stack: {
      ...stack,
      stop: async () => {
        faults.restore();
        await stop();
      },
    },
    faults,
    published,
    invoke: (runId) => invoke(JSON.stringify({ runId })),
    sweep: async () => {
      await drainDeadLetters();
      return sweep(stack.deps, sweeper, { now: stack.sandbox.clock.now() });
    },
    drainDeadLetters,
    notifications: () => [...localNotifications(stack.dataDir), ...published],
  };
}

/** The local notifier's JSON lines: what the executor delivered from its outbox right after a run. */
function localNotifications(dataDir: string): Notification[] {
  const file = join(dataDir, "notifications.jsonl");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Notification);
}
