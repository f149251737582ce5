import type { Logger } from "@aws-lambda-powertools/logger";
import { type Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Log } from "@stackfleet/core/log";

/** Core's `Log` on Powertools' Logger: JSON lines in CloudWatch with the invocation's keys. */
export const powertoolsLog = (logger: Logger): Log => ({
  info: (message, fields) => logger.info(message, fields ?? {}),
  warn: (message, fields) => logger.warn(message, fields ?? {}),
  error: (message, fields) => logger.error(message, fields ?? {}),
  appendKeys: (keys) => logger.appendKeys(keys),
});

/** The executor's outcome metrics as CloudWatch embedded metrics. */
export const powertoolsMetric =
  (metrics: Metrics) =>
  (name: string, value: number, unit: "Count" | "Milliseconds"): void => {
    metrics.addMetric(name, unit === "Count" ? MetricUnit.Count : MetricUnit.Milliseconds, value);
  };
