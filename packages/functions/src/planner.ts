import { Logger } from "@aws-lambda-powertools/logger";
import { fromEnv, PlannerConfig } from "@stackfleet/core/config";
import type { Context } from "aws-lambda";
import { handlePlanEvent } from "./plan-continuation";
import { wireCore } from "./wiring/core";
import { wireAwsPlanner } from "./wiring/planner";
import { powertoolsMetric, stackfleetMetrics } from "./wiring/powertools";

const logger = new Logger({ serviceName: "stackfleet-planner" });
const config = fromEnv(PlannerConfig);
const deps = wireCore(config.tableName);
const planner = wireAwsPlanner(deps, config);
const metrics = stackfleetMetrics();

/** Plans rollouts the API hands over (asynchronous invocations), one budgeted link at a time. */
export async function handler(event: unknown, context: Context) {
  logger.addContext(context);
  try {
    return await handlePlanEvent(deps, planner, event, {
      remainingMs: () => context.getRemainingTimeInMillis(),
      log: (message, fields) => logger.error(message, fields),
      metric: powertoolsMetric(metrics),
    });
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
