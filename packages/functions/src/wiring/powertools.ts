import type { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { Log } from "@stackfleet/core/log";
import { CLOUDWATCH_NAMES, METRIC_DIMENSION_STAGE, METRIC_NAMESPACE } from "@stackfleet/core/metrics";

/** Core's `Log` on Powertools' Logger: JSON lines in CloudWatch with the invocation's keys. */
export const powertoolsLog = (logger: Logger): Log => ({
  info: (message, fields) => logger.info(message, fields ?? {}),
  warn: (message, fields) => logger.warn(message, fields ?? {}),
  error: (message, fields) => logger.error(message, fields ?? {}),
  appendKeys: (keys) => logger.appendKeys(keys),
});

/**
 * The metrics buffer every Stackfleet function publishes through: the `Stackfleet` namespace and
 * the stage as the only dimension. Powertools always adds a `service` dimension, but CloudWatch
 * matches an alarm's dimensions exactly: a metric published under {service, Stage} never reaches
 * an alarm on {Stage}, so the service dimension is cleared.
 */
export function stackfleetMetrics(stage: string | undefined = process.env.STACKFLEET_STAGE): Metrics {
  const metrics = new Metrics({ namespace: METRIC_NAMESPACE });
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ [METRIC_DIMENSION_STAGE]: stage ?? "unknown" });
  return metrics;
}

/** Core's `metric(name, …)` as CloudWatch embedded metrics, under the names the alarms watch. */
export const powertoolsMetric =
  (metrics: Metrics) =>
  (name: string, value: number, unit: "Count" | "Milliseconds"): void => {
    metrics.addMetric(
      CLOUDWATCH_NAMES[name] ?? name,
      unit === "Count" ? MetricUnit.Count : MetricUnit.Milliseconds,
      value,
    );
  };
