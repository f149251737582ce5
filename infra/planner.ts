import { api, createScheduleRate, plannerName, scheduling } from "./api";
import { optional } from "./config";
import { notifications } from "./notifications";
import { table } from "./storage";
import { liveAllowed } from "./trust";

/**
 * Rollout planning that outlives an API request: the API hands a plan over with an asynchronous
 * invocation, and each invocation plans the version's shards in parallel until a minute before
 * its timeout, then passes its cursor to the next. Lambda retries a crashed link with the same
 * payload; planning is idempotent, so the retry plans exactly the rest.
 *
 * One at a time (reserved concurrency 1): every link draws from one CreateSchedule token bucket,
 * so two planners can never spend the account's quota twice; a second version's plan waits in
 * Lambda's async queue. It runs with the API's role — the same table, topic and schedule grants,
 * and the same principal the updater's schedule-writer role already trusts — rather than a second
 * principal every cross-account trust would have to name.
 */
export const planner = new sst.aws.Function("Planner", {
  name: plannerName,
  handler: "packages/functions/src/planner.handler",
  runtime: "nodejs22.x",
  timeout: "15 minutes",
  // CPU scales with memory: the planner is busy building items and signing requests.
  memory: "1024 MB",
  concurrency: { reserved: 1 },
  role: api.nodes.role.arn,
  dev: liveAllowed ? undefined : false,
  environment: {
    STACKFLEET_TABLE: table.name,
    STACKFLEET_NOTIFICATION_TOPIC_ARN: notifications.arn,
    STACKFLEET_PLANNER_FUNCTION: plannerName,
    // The metrics' only dimension: `PlanningLagAlarm` watches this stage's planner.
    STACKFLEET_STAGE: $app.stage,
    STACKFLEET_CREATE_SCHEDULE_RATE: createScheduleRate.planner,
    ...(optional("STACKFLEET_PLAN_CONCURRENCY")
      ? { STACKFLEET_PLAN_CONCURRENCY: optional("STACKFLEET_PLAN_CONCURRENCY") as string }
      : {}),
    ...scheduling,
  },
});
