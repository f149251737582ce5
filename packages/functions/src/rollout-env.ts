import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { SNSClient } from "@aws-sdk/client-sns";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { Deps } from "@stackfleet/core/context";
import { StackfleetError } from "@stackfleet/core/error";
import { createSnsNotifier } from "@stackfleet/core/notify";
import { createEventBridgeRunScheduler, type RunScheduler } from "@stackfleet/core/schedule";
import type { RolloutDeps } from "./api/env";
import type { PlanContinuation } from "./plan-continuation";

/** Until the updater stage is deployed the API has no schedule group: planning says so instead of half-working. */
const notConfigured: RunScheduler = {
  configured: false,
  scheduleRun: async () => {
    throw new StackfleetError(
      "unavailable",
      "scheduler_not_configured",
      "Rollouts need the updater stage: deploy it, then plan again (POST /v1/rollouts/{version}/plan)",
    );
  },
  // Nothing was scheduled, so there is nothing to delete.
  cancel: async () => undefined,
};

/**
 * Scheduler credentials: the API's own role when the updater shares its account; otherwise the
 * updater account's schedule-writer role, assumed (and refreshed by the SDK before expiry).
 */
function schedulerClient(env: NodeJS.ProcessEnv): SchedulerClient {
  const region = env.STACKFLEET_SCHEDULE_REGION;
  const writerRole = env.STACKFLEET_SCHEDULE_WRITER_ROLE_ARN;
  // The adapter does its own jittered backoff on throttling; SDK retries would multiply with it.
  if (!writerRole) return new SchedulerClient({ region, maxAttempts: 1 });
  const sts = new STSClient({ region });
  return new SchedulerClient({
    region,
    maxAttempts: 1,
    credentials: async () => {
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: writerRole,
          RoleSessionName: "stackfleet-api-scheduling",
          DurationSeconds: 900,
        }),
      );
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("AssumeRole returned no credentials");
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: c.Expiration,
      };
    },
  });
}

/**
 * The API's rollout dependencies in AWS. A plan that outlives the request's budget continues in
 * asynchronous invocations of this same function (`InvocationType: Event` with a
 * `PlanContinuation` payload), each planning until its own time is nearly spent and handing the
 * cursor on — a vendor with 100,000 integrations is planned in a chain of invocations, never
 * one long one. The function needs `lambda:InvokeFunction` on itself.
 */
export function rolloutFromEnv(deps: Deps, env: NodeJS.ProcessEnv = process.env): RolloutDeps {
  const scheduler =
    env.STACKFLEET_SCHEDULE_GROUP &&
    env.STACKFLEET_EXECUTOR_ARN &&
    env.STACKFLEET_SCHEDULER_ROLE_ARN &&
    env.STACKFLEET_SCHEDULE_DLQ_ARN
      ? createEventBridgeRunScheduler(
          {
            groupName: env.STACKFLEET_SCHEDULE_GROUP,
            executorArn: env.STACKFLEET_EXECUTOR_ARN,
            schedulerRoleArn: env.STACKFLEET_SCHEDULER_ROLE_ARN,
            deadLetterArn: env.STACKFLEET_SCHEDULE_DLQ_ARN,
          },
          { client: schedulerClient(env), now: deps.now },
        )
      : notConfigured;
  const topicArn = env.STACKFLEET_NOTIFICATION_TOPIC_ARN;
  if (!topicArn) throw new Error("STACKFLEET_NOTIFICATION_TOPIC_ARN is not set");
  const lambda = new LambdaClient({});
  return {
    scheduler,
    notifier: createSnsNotifier({ client: new SNSClient({}), topicArn }),
    planBudgetMs: Number(env.STACKFLEET_PLAN_BUDGET_MS ?? 20_000),
    async continuePlanning(version, cursor) {
      const payload: PlanContinuation = { stackfleetPlan: { version, cursor } };
      await lambda.send(
        new InvokeCommand({
          FunctionName: env.AWS_LAMBDA_FUNCTION_NAME,
          InvocationType: "Event",
          Payload: JSON.stringify(payload),
        }),
      );
    },
  };
}
