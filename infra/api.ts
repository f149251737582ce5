import { randomBytes } from "node:crypto";
import {
  accountOf,
  optional,
  pinnedKeys,
  productEnvironment,
  required,
  stackPrefix,
  updaterCoordinates,
} from "./config";
import { notifications } from "./notifications";
import { customerRoleArns, type Statement, scheduleWriting, tableResources } from "./policy";
import { approver, signingKey, signingKeyPublic } from "./signing";
import { table } from "./storage";
import { templates, templatesUrl } from "./templates";
import { liveAllowed, restrictTrust } from "./trust";

const updater = updaterCoordinates();
const prefix = stackPrefix();

/**
 * Explicit grants instead of `link`: SST's links give `dynamodb:*`, `s3:*` and `sns:*`, and the API
 * is the internet-facing principal. Its only `sts:AssumeRole` grants are the registration probe
 * into customers' integration roles (never their update roles: that is the executor's alone) and,
 * when the updater is another account, the updater's schedule-writer role.
 */
export const apiName = `${$app.name}-${$app.stage}-api`;
/**
 * Fixed, so the API can hand a rollout plan to the planner (infra/planner.ts) and the planner can
 * continue its own chain; the API never invokes itself.
 */
export const plannerName = `${$app.name}-${$app.stage}-planner`;
const plannerArn = $interpolate`arn:${aws.getPartitionOutput().partition}:lambda:${aws.getRegionOutput().region}:${aws.getCallerIdentityOutput().accountId}:function:${plannerName}`;
/**
 * CreateSchedule per second (Scheduler's quota: 5,000/s in the large Regions, AWS-FACTS.md): the
 * planner's bucket takes 4,500, the API's in-request planning 250, the executor's retries and
 * watches the rest. Regions with the 250/s quota set STACKFLEET_CREATE_SCHEDULE_RATE lower.
 */
export const createScheduleRate = { planner: optional("STACKFLEET_CREATE_SCHEDULE_RATE") ?? "4500", api: "250" };

const permissions: Statement[] = [
  { actions: ["lambda:InvokeFunction"], resources: [plannerArn] },
  {
    actions: [
      "dynamodb:GetItem",
      "dynamodb:BatchGetItem",
      "dynamodb:Query",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:ConditionCheckItem",
      "dynamodb:BatchWriteItem",
    ],
    resources: tableResources(table.arn),
  },
  { actions: ["s3:GetObject", "s3:PutObject"], resources: [$interpolate`${templates.arn}/*`] },
  // Verify only: signing is the release role's alone (infra/signing.ts), so owning the API cannot
  // produce a manifest the executor accepts.
  { actions: ["kms:GetPublicKey", "kms:Verify", "kms:DescribeKey"], resources: [signingKey.arn] },
  { actions: ["sns:Publish"], resources: [notifications.arn] },
  { actions: ["sts:AssumeRole"], resources: [customerRoleArns(prefix, "integration")] },
  ...(updater ? scheduleWriting(updater.scheduleGroupArn, updater.schedulerRoleArn) : []),
  ...(updater?.scheduleWriterRoleArn
    ? [{ actions: ["sts:AssumeRole"], resources: [updater.scheduleWriterRoleArn] }]
    : []),
];

/** Absent until the updater is deployed: the API then holds no scheduling grant at all. */
export const scheduling: Record<string, string> = updater
  ? {
      STACKFLEET_SCHEDULE_GROUP: updater.scheduleGroupName,
      STACKFLEET_SCHEDULE_REGION: updater.scheduleRegion,
      STACKFLEET_SCHEDULER_ROLE_ARN: updater.schedulerRoleArn,
      STACKFLEET_EXECUTOR_ARN: updater.executorArn,
      STACKFLEET_SCHEDULE_DLQ_ARN: updater.deadLetterQueueArn,
      ...(updater.scheduleWriterRoleArn ? { STACKFLEET_SCHEDULE_WRITER_ROLE_ARN: updater.scheduleWriterRoleArn } : {}),
    }
  : {};

/** Until the operator pins keys explicitly, the API trusts exactly the key it signs with. */
export const trustedKeys = pinnedKeys() ?? signingKeyPublic;

/** Optional tuning the API reads with defaults; passed through only when the operator sets it. */
const tuning = Object.fromEntries(
  [
    "STACKFLEET_GRACE_HOURS",
    "STACKFLEET_BROADENING_GRACE_HOURS",
    "STACKFLEET_REQUIRE_APPROVAL_WHEN_BROADENED",
    "STACKFLEET_MANIFEST_LIFETIME_DAYS",
    "STACKFLEET_CORS_ORIGINS",
    "STACKFLEET_PENDING_TTL_DAYS",
  ].flatMap((name) => {
    const value = optional(name);
    return value === undefined ? [] : [[name, value]];
  }),
);

/**
 * The page-cursor HMAC key, one per stage: every API instance must accept the cursors the others
 * issue. Drawn once when the parameter is created and never rewritten (`ignoreChanges`), so later
 * deploys keep it; deleting the parameter rotates it, which only invalidates cursors in flight.
 * An SSM parameter rather than `@pulumi/random`: no extra provider for the platform to install.
 */
const cursorKey = new aws.ssm.Parameter(
  "CursorKey",
  {
    name: `/${$app.name}/${$app.stage}/cursor-key`,
    type: "SecureString",
    value: $util.secret(randomBytes(32).toString("base64")),
    description: "HMAC key binding API page cursors to their tenant and query",
  },
  { ignoreChanges: ["value"] },
);

/**
 * An HTTP API in front rather than a function URL: the API must know its own public URL (the
 * registration callback in customer templates points at it), and a function cannot take its own
 * URL as an input, while the gateway exists independently of the function behind it.
 */
export const gateway = new sst.aws.ApiGatewayV2("Gateway", {
  transform: {
    // The registration callback is unauthenticated by design (the ExternalId + AssumeRole proof
    // is the authentication) and every refusal is audited: a stage-wide throttle bounds how fast
    // anyone can make the API write those records, or spend its STS calls.
    stage: (args) => {
      args.defaultRouteSettings = { throttlingRateLimit: 50, throttlingBurstLimit: 100 };
    },
  },
});

/** The Hono app: dashboard API, operator actions and the customer stacks' registration callback. */
export const api = new sst.aws.Function("Api", {
  name: apiName,
  handler: "packages/functions/src/api/lambda.handler",
  runtime: "nodejs22.x",
  // API Gateway's HTTP integrations stop waiting at 30 s.
  timeout: "29 seconds",
  // Live in `sst dev` on personal stages only; permanent stages always run the deployed code.
  dev: liveAllowed ? undefined : false,
  permissions,
  environment: {
    ...productEnvironment({
      vendorAccountId: aws.getCallerIdentityOutput().accountId,
      updaterAccountId: updater ? accountOf(updater.executorRoleArn) : undefined,
      executorRoleName: updater?.executorRoleArn.split("/").pop(),
      templateBaseUrl: templatesUrl,
      apiBaseUrl: gateway.url,
    }),
    STACKFLEET_TABLE: table.name,
    STACKFLEET_TEMPLATE_BUCKET: templates.name,
    // Verify-only: approvals are checked against the approver key; the API holds no signing key.
    STACKFLEET_PINNED_APPROVER_KEYS: optional("STACKFLEET_PINNED_APPROVER_KEYS") ?? approver.pinned,
    STACKFLEET_PINNED_KEYS: trustedKeys,
    STACKFLEET_NOTIFICATION_TOPIC_ARN: notifications.arn,
    STACKFLEET_JWT_ISSUER: required("STACKFLEET_JWT_ISSUER"),
    STACKFLEET_JWT_AUDIENCE: required("STACKFLEET_JWT_AUDIENCE"),
    STACKFLEET_JWKS_URL: required("STACKFLEET_JWKS_URL"),
    STACKFLEET_CURSOR_KEY: cursorKey.value,
    ...scheduling,
    ...tuning,
    STACKFLEET_PLANNER_FUNCTION: plannerName,
    STACKFLEET_CREATE_SCHEDULE_RATE: createScheduleRate.api,
  },
  transform: {
    role: (args) => {
      restrictTrust(args);
    },
  },
});

gateway.route("$default", api.arn);
