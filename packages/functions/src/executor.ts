import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import { createDocumentClient } from "@stackfleet/core/db/client";
import { createDeps } from "@stackfleet/core/deps";
import { stsCustomerAccess } from "@stackfleet/core/executor/access";
import { createSnsNotifier } from "@stackfleet/core/notify";
import { rolloutHooks } from "@stackfleet/core/rollout/executor-hooks";
import { createEventBridgeRunScheduler } from "@stackfleet/core/schedule";
import { pinnedKeysFromEnv } from "@stackfleet/core/signing/pinned";
import { S3TemplateStore } from "@stackfleet/core/template-store/s3";
import type { Context } from "aws-lambda";
import { createExecutorHandler } from "./executor-handler";

// Everything the executor trusts comes from its own configuration: the pinned keys here, the
// rest from the table. No changelog library, no IAM simulator: this bundle stays small.
const required = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const logger = new Logger({ serviceName: "stackfleet-executor" });
const metrics = new Metrics({ namespace: "Stackfleet", serviceName: "executor" });
const deps = createDeps(createDocumentClient(), required("STACKFLEET_TABLE"));
const scheduler = createEventBridgeRunScheduler(
  {
    groupName: required("STACKFLEET_SCHEDULE_GROUP"),
    executorArn: required("STACKFLEET_EXECUTOR_ARN"),
    schedulerRoleArn: required("STACKFLEET_SCHEDULER_ROLE_ARN"),
    deadLetterArn: required("STACKFLEET_SCHEDULE_DLQ_ARN"),
  },
  { client: new SchedulerClient({ maxAttempts: 1 }), now: deps.now },
);
const topicArn = process.env.STACKFLEET_NOTIFICATION_TOPIC_ARN;
const notifier = topicArn ? createSnsNotifier({ client: new SNSClient({}), topicArn }) : undefined;
const handle = createExecutorHandler(
  deps,
  {
    product: required("STACKFLEET_PRODUCT"),
    stackPrefix: required("STACKFLEET_STACK_PREFIX"),
    pinnedKeys: pinnedKeysFromEnv(),
    templates: new S3TemplateStore({
      client: new S3Client({}),
      bucket: required("STACKFLEET_TEMPLATE_BUCKET"),
      prefix: "templates/",
    }),
    access: stsCustomerAccess(new STSClient({})),
    scheduler,
    hooks: rolloutHooks(deps, { scheduler, notifier }),
    sourceIdentity: "stackfleet-executor",
    retryDelaysMs: [3_600_000, 6 * 3_600_000, 24 * 3_600_000],
    throttleRetryMs: 5 * 60_000,
    safetyMarginMs: 30_000,
    pollMs: { initial: 5_000, max: 30_000 },
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    metric: (name, value, unit) =>
      metrics.addMetric(name, unit === "Count" ? MetricUnit.Count : MetricUnit.Milliseconds, value),
  },
  notifier,
);

export async function handler(event: unknown, context: Context) {
  logger.addContext(context);
  try {
    return await handle(event, {
      remainingMs: () => context.getRemainingTimeInMillis(),
      log: {
        info: (message, fields) => logger.info(message, fields ?? {}),
        warn: (message, fields) => logger.warn(message, fields ?? {}),
        error: (message, fields) => logger.error(message, fields ?? {}),
        appendKeys: (keys) => logger.appendKeys(keys),
      },
    });
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
