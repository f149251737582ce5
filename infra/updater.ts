import { ExecutorConfig } from "@stackfleet/core/config";
import { parsePinnedKeys } from "@stackfleet/core/signing/pinned";
import { accountOf, optional, permanent, pinnedKeys, productEnvironment, required, stackPrefix } from "./config";
import { executorNodejs } from "./executor-bundle.mjs";
import {
  bucketName,
  customerRoleArns,
  executorTableActions,
  executorTemplateActions,
  type Statement,
  scheduleWriting,
  sweeperTableActions,
  tableResources,
} from "./policy";
import { liveAllowed, restrictTrust } from "./trust";
import { updaterState, updaterStateAccess } from "./updater-state";

/**
 * The updater stage: the only place that can act inside customer accounts. It knows the main
 * stage only through the ARNs below, so it can live in its own account.
 */
const mainTableArn = required("STACKFLEET_MAIN_TABLE_ARN");
const templateBucketArn = required("STACKFLEET_TEMPLATE_BUCKET_ARN");
// Customer notifications of run outcomes; without it they wait for the outbox sweep.
const notificationTopicArn = optional("STACKFLEET_NOTIFICATION_TOPIC_ARN");
const prefix = stackPrefix();
// Unlike the API, the executor never defaults to a key: what it trusts is the operator's decision.
const keys = pinnedKeys() ?? required("STACKFLEET_PINNED_KEYS");
// Second signatures on broadening versions (main-stage output); checked here as the executor would.
const approverKeys = optional("STACKFLEET_PINNED_APPROVER_KEYS");
const minGraceHours = optional("STACKFLEET_MIN_GRACE_HOURS");
// Refused here, before any change, exactly as the executor would refuse it at cold start.
if (minGraceHours !== undefined) ExecutorConfig.shape.floor.shape.minGraceHours.parse(minGraceHours);
if (approverKeys !== undefined) parsePinnedKeys(approverKeys);
const accountId = aws.getCallerIdentityOutput().accountId;

/** Fixed, so its ARN is known before it exists: customer trust and its own retries refer to it. */
export const executorName = `${$app.name}-${$app.stage}-executor`;
const executorArn = $interpolate`arn:${aws.getPartitionOutput().partition}:lambda:${aws.getRegionOutput().region}:${accountId}:function:${executorName}`;

/** One-shot run schedules (grace end, retry, watch); the API and the executor write only here. */
export const scheduleGroup = new aws.scheduler.ScheduleGroup("RunSchedules", {
  name: `${$app.name}-${$app.stage}-runs`,
});

/** Schedules Scheduler could not deliver and executor invocations that crashed: no run vanishes. */
export const deadLetters = new sst.aws.Queue("ScheduleDeadLetters", {
  transform: { queue: { messageRetentionSeconds: 14 * 24 * 60 * 60 } },
});

/** Scheduler assumes this only on behalf of our own group (confused-deputy conditions). */
export const schedulerRole = new aws.iam.Role("SchedulerRole", {
  assumeRolePolicy: aws.iam.getPolicyDocumentOutput({
    statements: [
      {
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["scheduler.amazonaws.com"] }],
        conditions: [
          { test: "StringEquals", variable: "aws:SourceAccount", values: [accountId] },
          { test: "ArnEquals", variable: "aws:SourceArn", values: [scheduleGroup.arn] },
        ],
      },
    ],
  }).json,
});

const executorPermissions: Statement[] = [
  // The updater's own state: first seen, high-water marks (written), the emergency stop (read only).
  ...updaterStateAccess(),
  { actions: executorTableActions, resources: tableResources(mainTableArn) },
  { actions: executorTemplateActions, resources: [`${templateBucketArn}/*`] },
  // The one grant no other principal has: customers' update roles, named `<prefix>-updater-<Region>`
  // by the template. SetSourceIdentity puts the run id into the customer's CloudTrail.
  { actions: ["sts:AssumeRole", "sts:SetSourceIdentity"], resources: [customerRoleArns(prefix, "update")] },
  // Retries and watches are new schedules in our own group.
  ...scheduleWriting(scheduleGroup.arn, schedulerRole.arn),
  // Lambda's on-failure destination sends with the function's own role.
  { actions: ["sqs:SendMessage"], resources: [deadLetters.arn] },
  ...(notificationTopicArn ? [{ actions: ["sns:Publish"], resources: [notificationTopicArn] }] : []),
];

/**
 * Input is a run id only; everything else it re-reads and re-verifies. The role keeps a fixed
 * name and survives removal of a permanent stage, because every customer's update role trusts it
 * by ARN and IAM does not re-bind a trust to a re-created role of the same name.
 */
export const executor = new sst.aws.Function("Executor", {
  name: executorName,
  handler: "packages/functions/src/executor.handler",
  runtime: "nodejs22.x",
  // AWS SDK left to the runtime, ElectroDB's jsonschema swapped for a subset (infra/executor-bundle.mjs).
  nodejs: executorNodejs,
  timeout: "5 minutes",
  // Mostly waiting on AWS APIs (and its first look at a running update): a quarter of the default
  // 1024 MB keeps a 100,000-account rollout near $23 instead of $58 (BENCHMARKS.md "Cost model").
  memory: "256 MB",
  // `sst dev` runs it on the developer's machine, with a role the account may assume: personal
  // stages only (their update roles are test accounts'), never a permanent stage.
  dev: liveAllowed ? undefined : false,
  // Lambda's own retries would only re-deliver a claimed run; the core schedules its own retries.
  retries: 0,
  permissions: executorPermissions,
  environment: {
    ...productEnvironment({
      vendorAccountId: accountOf(mainTableArn),
      updaterAccountId: accountId,
      executorRoleName: executorName,
    }),
    // An ARN, not a name: DynamoDB needs the ARN to reach a table in another account.
    STACKFLEET_TABLE: mainTableArn,
    STACKFLEET_TEMPLATE_BUCKET: bucketName(templateBucketArn),
    STACKFLEET_PINNED_KEYS: keys,
    ...(approverKeys ? { STACKFLEET_PINNED_APPROVER_KEYS: approverKeys } : {}),
    STACKFLEET_UPDATER_TABLE: updaterState.name,
    // The executor's floor: only the updater's configuration sets it (default 24 h).
    ...(minGraceHours ? { STACKFLEET_MIN_GRACE_HOURS: minGraceHours } : {}),
    STACKFLEET_SCHEDULE_GROUP: scheduleGroup.name,
    STACKFLEET_EXECUTOR_ARN: executorArn,
    STACKFLEET_SCHEDULER_ROLE_ARN: schedulerRole.arn,
    STACKFLEET_SCHEDULE_DLQ_ARN: deadLetters.arn,
    ...(notificationTopicArn ? { STACKFLEET_NOTIFICATION_TOPIC_ARN: notificationTopicArn } : {}),
    // When the first watch schedule reads the stack after ExecuteChangeSet (default 60 s).
    ...(optional("STACKFLEET_FIRST_WATCH_SECONDS")
      ? { STACKFLEET_FIRST_WATCH_SECONDS: optional("STACKFLEET_FIRST_WATCH_SECONDS") as string }
      : {}),
    // The metrics' only dimension: the alarms watch this stage's metrics and no other's.
    STACKFLEET_STAGE: $app.stage,
  },
  transform: {
    role: (args, opts) => {
      restrictTrust(args);
      args.name = executorName;
      opts.retainOnDelete = permanent;
    },
    eventInvokeConfig: { destinationConfig: { onFailure: { destination: deadLetters.arn } } },
  },
});

/**
 * Every run ends: every 5 minutes the sweeper re-delivers runs whose lease ran out or whose
 * schedule never fired, and notifications no one delivered; it also drains the dead letters.
 * It can invoke the executor and nothing in a customer account.
 */
export const sweeper = new sst.aws.Function("Sweeper", {
  handler: "packages/functions/src/sweeper.handler",
  runtime: "nodejs22.x",
  timeout: "2 minutes",
  // Like the executor: live under `sst dev` on personal stages only.
  dev: liveAllowed ? undefined : false,
  permissions: [
    { actions: sweeperTableActions, resources: tableResources(mainTableArn) },
    { actions: ["lambda:InvokeFunction"], resources: [executorArn] },
    // The dead-letter queue's consumer (Lambda's event source mapping polls with this role).
    {
      actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"],
      resources: [deadLetters.arn],
    },
    ...(notificationTopicArn ? [{ actions: ["sns:Publish"], resources: [notificationTopicArn] }] : []),
  ],
  environment: {
    STACKFLEET_TABLE: mainTableArn,
    STACKFLEET_EXECUTOR_ARN: executorArn,
    STACKFLEET_STAGE: $app.stage,
    ...(notificationTopicArn ? { STACKFLEET_NOTIFICATION_TOPIC_ARN: notificationTopicArn } : {}),
  },
  transform: {
    role: (args) => {
      restrictTrust(args);
    },
  },
});

export const sweeperSchedule = new sst.aws.Cron("SweeperSchedule", {
  schedule: "rate(5 minutes)",
  function: sweeper.arn,
});

// Dead letters go straight to the sweeper: a lost run is re-delivered within seconds, not at the next tick.
deadLetters.subscribe(sweeper.arn, { batch: { size: 10 } });

new aws.iam.RolePolicy("SchedulerInvokesExecutor", {
  role: schedulerRole.id,
  policy: aws.iam.getPolicyDocumentOutput({
    statements: [
      { actions: ["lambda:InvokeFunction"], resources: [executor.arn] },
      // Scheduler delivers to the dead-letter queue with the schedule's role.
      { actions: ["sqs:SendMessage"], resources: [deadLetters.arn] },
    ],
  }).json,
});

/**
 * When the main stage is another account its API cannot call this account's Scheduler; it
 * assumes this role, which can do exactly what the API may do with schedules and nothing else.
 */
const mainApiRoleArn = optional("STACKFLEET_MAIN_API_ROLE_ARN");
export const scheduleWriter = mainApiRoleArn
  ? new aws.iam.Role("ScheduleWriterRole", {
      assumeRolePolicy: aws.iam.getPolicyDocumentOutput({
        statements: [{ actions: ["sts:AssumeRole"], principals: [{ type: "AWS", identifiers: [mainApiRoleArn] }] }],
      }).json,
      inlinePolicies: [
        {
          name: "run-schedules",
          policy: aws.iam.getPolicyDocumentOutput({
            statements: scheduleWriting(scheduleGroup.arn, schedulerRole.arn),
          }).json,
        },
      ],
    })
  : undefined;
