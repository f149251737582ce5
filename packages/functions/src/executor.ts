import { Logger } from "@aws-lambda-powertools/logger";
import { ExecutorConfig, fromEnv } from "@stackfleet/core/config";
import type { Context } from "aws-lambda";
import { awsExecutorAdapters, wireExecutor } from "./wiring/executor";
import { powertoolsLog, powertoolsMetric, stackfleetMetrics } from "./wiring/powertools";

const logger = new Logger({ serviceName: "stackfleet-executor" });
const metrics = stackfleetMetrics();
const config = fromEnv(ExecutorConfig);
const { handle } = wireExecutor(config, awsExecutorAdapters(config, powertoolsMetric(metrics)));

export async function handler(event: unknown, context: Context) {
  logger.addContext(context);
  try {
    return await handle(event, { remainingMs: () => context.getRemainingTimeInMillis(), log: powertoolsLog(logger) });
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}
