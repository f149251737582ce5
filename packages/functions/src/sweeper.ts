import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics } from "@aws-lambda-powertools/metrics";
import { fromEnv } from "@stackfleet/core/config";
import type { Context } from "aws-lambda";
import { powertoolsLog, powertoolsMetric } from "./wiring/powertools";
import { awsSweeperAdapters, SweeperConfig, wireSweeper } from "./wiring/sweeper";

const logger = new Logger({ serviceName: "stackfleet-sweeper" });
// The stage dimension is what the alarms watch (infra/metrics.ts): a personal stage never pages production.
const metrics = new Metrics({
  namespace: "Stackfleet",
  serviceName: "sweeper",
  defaultDimensions: { Stage: process.env.STACKFLEET_STAGE ?? "unknown" },
});
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
