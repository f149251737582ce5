import { InvokeCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import type { PlannerConfig } from "@stackfleet/core/config";
import type { Deps } from "@stackfleet/core/context";
import { createSnsNotifier } from "@stackfleet/core/notify";
import type { Planner } from "../api/env";
import type { PlanContinuation } from "../plan-continuation";
import { runScheduler, schedulerClientFor, schedulerNotConfigured } from "./scheduler";

/**
 * The API function's planner in AWS. A plan that outlives the request's budget continues in
 * asynchronous invocations of this same function (`InvocationType: Event` with a
 * `PlanContinuation` payload), each planning until its own time is nearly spent and handing the
 * cursor on — a vendor with 100,000 integrations is planned in a chain of invocations, never
 * one long one. The function needs `lambda:InvokeFunction` on itself.
 */
export function wireAwsPlanner(core: Deps, config: PlannerConfig): Planner {
  const scheduler = config.schedule
    ? runScheduler(config.schedule, schedulerClientFor(config.schedule), core.now)
    : schedulerNotConfigured;
  const lambda = new LambdaClient({});
  return {
    scheduler,
    notifier: createSnsNotifier({ client: new SNSClient({}), topicArn: config.notificationTopicArn }),
    planBudgetMs: config.planBudgetMs,
    async continuePlanning(version, cursor) {
      const payload: PlanContinuation = { stackfleetPlan: { version, cursor } };
      await lambda.send(
        new InvokeCommand({
          FunctionName: config.functionName,
          InvocationType: "Event",
          Payload: JSON.stringify(payload),
        }),
      );
    },
  };
}
