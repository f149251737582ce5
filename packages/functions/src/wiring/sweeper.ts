import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import type { Deps } from "@stackfleet/core/context";
import type { Log } from "@stackfleet/core/log";
import { createSnsNotifier, type Notifier } from "@stackfleet/core/notify";
import { consumeDeadLetters, type SweeperContext, sweep } from "@stackfleet/core/sweeper";
import { z } from "zod";
import { type TableAdapters, wireCore } from "./core";

const Arn = z.string().regex(/^arn:[\w-]+:[\w-]+:[\w-]*:\d{0,12}:\S+$/, "must be an ARN");

/** The sweeper's deploy-time inputs, read by `fromEnv` at cold start. */
export const SweeperConfig = z.object({
  tableName: z.string().min(1).meta({ env: "STACKFLEET_TABLE" }),
  executorArn: Arn.meta({ env: "STACKFLEET_EXECUTOR_ARN" }),
  notificationTopicArn: Arn.optional().meta({ env: "STACKFLEET_NOTIFICATION_TOPIC_ARN" }),
});
export type SweeperConfig = z.infer<typeof SweeperConfig>;

export interface SweeperAdapters extends TableAdapters {
  redeliver: SweeperContext["redeliver"];
  notifier?: Notifier;
  metric?: SweeperContext["metric"];
}

/** An SQS batch (the dead-letter queue) or anything else (the recurring schedule's tick). */
const DeadLetterBatch = z.object({ Records: z.array(z.object({ body: z.string() })).min(1) });

/** Both of the sweeper's triggers in one function: the 5-minute tick sweeps, a dead-letter batch is drained. */
export function wireSweeper(settings: Pick<SweeperConfig, "tableName">, adapters: SweeperAdapters) {
  const core: Deps = wireCore(settings.tableName, adapters);
  const context = (log: Log): SweeperContext => ({
    redeliver: adapters.redeliver,
    log,
    ...(adapters.notifier ? { notifier: adapters.notifier } : {}),
    ...(adapters.metric ? { metric: adapters.metric } : {}),
  });
  return {
    core,
    sweep: (log: Log) => sweep(core, context(log), { now: core.now() }),
    async handle(event: unknown, invocation: { log: Log }) {
      const batch = DeadLetterBatch.safeParse(event);
      if (batch.success)
        return consumeDeadLetters(
          core,
          context(invocation.log),
          batch.data.Records.map((r) => r.body),
        );
      return sweep(core, context(invocation.log), { now: core.now() });
    },
  };
}

/** In AWS: the executor is invoked asynchronously with `{ runId }`, exactly what a schedule sends. */
export function awsSweeperAdapters(config: SweeperConfig, metric?: SweeperContext["metric"]): SweeperAdapters {
  const lambda = new LambdaClient({});
  return {
    redeliver: async (runId) => {
      await lambda.send(
        new InvokeCommand({
          FunctionName: config.executorArn,
          InvocationType: "Event",
          Payload: new TextEncoder().encode(JSON.stringify({ runId })),
        }),
      );
    },
    ...(config.notificationTopicArn
      ? { notifier: createSnsNotifier({ client: new SNSClient({}), topicArn: config.notificationTopicArn }) }
      : {}),
    ...(metric ? { metric } : {}),
  };
}
