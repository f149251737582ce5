import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import type { PlannerConfig } from "@stackfleet/core/config";
import type { Deps } from "@stackfleet/core/context";
import { createSnsNotifier } from "@stackfleet/core/notify";
import { createTokenBucket } from "@stackfleet/core/schedule";
import type { Planner } from "../api/env";
import type { PlanContinuation } from "../plan-continuation";
import { runScheduler, schedulerClientFor, schedulerNotConfigured } from "./scheduler";

/**
 * Rollout planning in AWS, for the API and for the planner function alike. Each process gets one
 * CreateSchedule token bucket (`createScheduleRate`) that all its parallel shards draw from. A
 * plan that outlives an invocation continues in an asynchronous invocation of the planner
 * function (`InvocationType: Event` with a `PlanContinuation` payload) — never of the API — each
 * link planning until its own time is nearly spent and handing the cursor on. A link that crashes
 * is retried by Lambda with the same payload: planning is idempotent, so the retry plans the rest.
 */
export function wireAwsPlanner(core: Deps, config: PlannerConfig): Planner {
  const scheduler = config.schedule
    ? runScheduler(
        config.schedule,
        schedulerClientFor(config.schedule),
        core.now,
        createTokenBucket({ ratePerSecond: config.createScheduleRate }),
      )
    : schedulerNotConfigured;
  let lambda: LambdaClient | undefined;
  return {
    scheduler,
    notifier: createSnsNotifier({ client: new SNSClient({}), topicArn: config.notificationTopicArn }),
    planBudgetMs: config.planBudgetMs,
    planConcurrency: config.planConcurrency,
    async continuePlanning(version, cursor) {
      const payload: PlanContinuation = { stackfleetPlan: { version, cursor } };
      lambda ??= new LambdaClient({});
      await lambda.send(
        new InvokeCommand({
          FunctionName: config.plannerFunction,
          InvocationType: "Event",
          Payload: JSON.stringify(payload),
        }),
      );
    },
  };
}
