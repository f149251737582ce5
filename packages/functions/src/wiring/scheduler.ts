import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { PlannerConfig } from "@stackfleet/core/config";
import { StackfleetError } from "@stackfleet/core/error";
import { createEventBridgeRunScheduler, type RateLimiter, type RunScheduler } from "@stackfleet/core/schedule";

type ScheduleSettings = NonNullable<PlannerConfig["schedule"]>;

/** Until the updater stage is deployed the API has no schedule group: planning says so instead of half-working. */
export const schedulerNotConfigured: RunScheduler = {
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

/** One-shot run schedules in the updater stage's group, invoking the executor. */
export function runScheduler(
  target: Pick<ScheduleSettings, "groupName" | "executorArn" | "schedulerRoleArn" | "deadLetterArn">,
  client: SchedulerClient,
  now: () => Date,
  rateLimiter?: RateLimiter,
): RunScheduler {
  const { groupName, executorArn, schedulerRoleArn, deadLetterArn } = target;
  return createEventBridgeRunScheduler(
    { groupName, executorArn, schedulerRoleArn, deadLetterArn },
    { client, now, rateLimiter },
  );
}

/**
 * Scheduler credentials: the function's own role when the updater shares its account; otherwise
 * the updater account's schedule-writer role, assumed (and refreshed by the SDK before expiry).
 * The adapter does its own jittered backoff on throttling; SDK retries would multiply with it.
 */
export function schedulerClientFor(schedule: Pick<ScheduleSettings, "region" | "writerRoleArn"> = {}): SchedulerClient {
  const { region, writerRoleArn } = schedule;
  if (!writerRoleArn) return new SchedulerClient({ region, maxAttempts: 1 });
  const sts = new STSClient({ region });
  return new SchedulerClient({
    region,
    maxAttempts: 1,
    credentials: async () => {
      const { Credentials: c } = await sts.send(
        new AssumeRoleCommand({
          RoleArn: writerRoleArn,
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
