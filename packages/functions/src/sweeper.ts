import { Logger } from "@aws-lambda-powertools/logger";
import { fromEnv } from "@stackfleet/core/config";
import type { Context } from "aws-lambda";
import { powertoolsLog, powertoolsMetric, stackfleetMetrics } from "./wiring/powertools";
import { awsSweeperAdapters, SweeperConfig, wireSweeper } from "./wiring/sweeper";

const logger = new Logger({ serviceName: "stackfleet-sweeper" });
const metrics = stackfleetMetrics();
const config = fromEnv(SweeperConfig);
const { handle } = wireSweeper(config, awsSweeperAdapters(config, powertoolsMetric(metrics)));

export async function handler(event: unknown, context: Context) {
  logger.addContext(context);
  try {
    return await handle(event, { log: powertoolsLog(logger) });
  } finally {
    metrics.publishStoredMetrics();
  }
}
