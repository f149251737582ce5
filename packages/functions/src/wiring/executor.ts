import type { SchedulerClient } from "@aws-sdk/client-scheduler";
import { lazyClient } from "@stackfleet/core/aws/lazy-client";
import type { ExecutorConfig } from "@stackfleet/core/config";
import type { Deps } from "@stackfleet/core/context";
import { createDocumentClient } from "@stackfleet/core/db/client";
import { createLeanService } from "@stackfleet/core/db/lean-service";
import { type CustomerAccess, type ExecutorContext, stsCustomerAccess } from "@stackfleet/core/executor";
import { createSnsNotifier, type Notifier } from "@stackfleet/core/notify";
import { rolloutHooks } from "@stackfleet/core/rollout/executor-hooks";
import { createEventBridgeRunScheduler, type RunScheduler } from "@stackfleet/core/schedule";
import { S3TemplateStore } from "@stackfleet/core/template-store/s3";
import type { TemplateStore } from "@stackfleet/core/template-store/template-store";
import { HOUR_MS, MINUTE_MS, SECOND_MS } from "@stackfleet/core/time";
import { createExecutorHandler } from "../executor-handler";
import { type TableAdapters, wireTable } from "./table";

/** The part of `ExecutorConfig` the composition reads; the bucket and topic only configure AWS adapters. */
export type ExecutorSettings = Pick<ExecutorConfig, "product" | "tableName" | "pinnedKeys" | "schedule" | "floor">;

export type ExecutorTimings = Pick<
  ExecutorContext,
  "retryDelaysMs" | "throttleRetryMs" | "safetyMarginMs" | "pollMs" | "watchMs"
>;

/**
 * Production timings: retries an hour, six hours and a day apart; a change set is looked at every
 * 5–30 s; an executed update is read by "watch" schedules 1 minute after the go (a typical update
 * of the customer stack is done by then), then 1, 2, 4, 5… minutes apart. No invocation waits
 * for CloudFormation to finish.
 */
export const EXECUTOR_TIMINGS: ExecutorTimings = {
  retryDelaysMs: [HOUR_MS, 6 * HOUR_MS, 24 * HOUR_MS],
  throttleRetryMs: 5 * MINUTE_MS,
  safetyMarginMs: 30 * SECOND_MS,
  pollMs: { initial: 5 * SECOND_MS, max: 30 * SECOND_MS },
  watchMs: { first: MINUTE_MS, next: MINUTE_MS, max: 5 * MINUTE_MS },
};

export interface ExecutorAdapters extends TableAdapters {
  templates: TemplateStore;
  /** AssumeRole into the customer's update role, then CloudFormation with those credentials. */
  access: CustomerAccess;
  /** Retries and watches are schedules in the updater's own group. */
  schedulerClient: SchedulerClient;
  notifier?: Notifier;
  sleep?: ExecutorContext["sleep"];
  metric?: ExecutorContext["metric"];
  timings?: Partial<ExecutorTimings>;
}

export interface ExecutorWiring {
  core: Deps;
  scheduler: RunScheduler;
  handle: ReturnType<typeof createExecutorHandler>;
}

/** Everything the executor trusts comes from its own configuration: the pinned keys here, the rest from the table. */
export function wireExecutor(settings: ExecutorSettings, adapters: ExecutorAdapters): ExecutorWiring {
  // Without ElectroDB's Service class (the bundle budget): the executor reads no collection.
  const core = wireTable(settings.tableName, adapters, createLeanService);
  // Retries and watches only: the planner's rate limiter and writer role (wiring/scheduler.ts) are not the executor's.
  const { groupName, executorArn, schedulerRoleArn, deadLetterArn } = settings.schedule;
  const scheduler = createEventBridgeRunScheduler(
    { groupName, executorArn, schedulerRoleArn, deadLetterArn },
    { client: adapters.schedulerClient, now: core.now },
  );
  const { notifier } = adapters;
  const context = {
    ...EXECUTOR_TIMINGS,
    ...adapters.timings,
    product: settings.product.product,
    stackPrefix: settings.product.stackPrefix,
    pinnedKeys: settings.pinnedKeys,
    floor: executorFloor(settings.floor, { ...adapters, now: core.now }),
    templates: adapters.templates,
    access: adapters.access,
    scheduler,
    hooks: rolloutHooks(core, { scheduler, notifier }),
    sourceIdentity: "stackfleet-executor",
    sleep: adapters.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms))),
    ...(adapters.metric ? { metric: adapters.metric } : {}),
  };
  return { core, scheduler, handle: createExecutorHandler(core, context, notifier) };
}

/** The floor's limits come from configuration only; its state from the updater's own table. */
export function executorFloor(settings: ExecutorConfig["floor"], adapters: TableAdapters & { now: () => Date }) {
  return {
    store: {
      client: adapters.documentClient ?? createDocumentClient(),
      tableName: settings.updaterTable,
      now: adapters.now,
    },
    minGraceMs: settings.minGraceHours * HOUR_MS,
    approverKeys: settings.approverKeys ?? [],
    stopRecheckMs: HOUR_MS,
  };
}

/**
 * The executor in AWS: no changelog library, no IAM simulator, no dev adapter — this bundle stays
 * small. Its SDK clients (all but DynamoDB's) are made, and their packages loaded, on first use.
 */
export function awsExecutorAdapters(config: ExecutorConfig, metric?: ExecutorContext["metric"]): ExecutorAdapters {
  const s3 = lazyClient(async () => new (await import("@aws-sdk/client-s3")).S3Client({}));
  const sts = lazyClient(async () => new (await import("@aws-sdk/client-sts")).STSClient({}));
  const sns = lazyClient(async () => new (await import("@aws-sdk/client-sns")).SNSClient({}));
  return {
    templates: new S3TemplateStore({ client: s3, bucket: config.templateBucket, prefix: "templates/" }),
    access: stsCustomerAccess(sts),
    schedulerClient: lazyClient(
      async () => new (await import("@aws-sdk/client-scheduler")).SchedulerClient({ maxAttempts: 1 }),
    ),
    ...(config.notificationTopicArn
      ? { notifier: createSnsNotifier({ client: sns, topicArn: config.notificationTopicArn }) }
      : {}),
    ...(metric ? { metric } : {}),
    timings: { watchMs: { ...EXECUTOR_TIMINGS.watchMs, first: config.firstWatchSeconds * SECOND_MS } },
  };
}
