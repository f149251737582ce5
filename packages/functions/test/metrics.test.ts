import { CLOUDWATCH_NAMES, METRIC_NAMESPACE, METRICS } from "@stackfleet/core/metrics";
import { describe, expect, it } from "vitest";
import { powertoolsMetric, stackfleetMetrics } from "../src/wiring/powertools";

/**
 * The alarms (infra/monitoring.ts) watch `Stackfleet` metrics with exactly one dimension, `Stage`.
 * CloudWatch matches dimension sets exactly, so a metric published with one more dimension (the
 * `service` Powertools adds by default) or under another name would never fire an alarm.
 */
describe("published metrics", () => {
  it("carry the stage as their only dimension, under the names the alarms watch", () => {
    const metrics = stackfleetMetrics("production-updater");
    const publish = powertoolsMetric(metrics);
    publish("run_succeeded", 1, "Count");
    publish("run_failed", 1, "Count");
    publish("RunsRefused", 1, "Count");
    publish("run_duration", 1234, "Milliseconds");
    const emf = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }>;
      };
    };
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe(METRIC_NAMESPACE);
    expect(directive?.Dimensions).toEqual([["Stage"]]);
    expect(emf.Stage).toBe("production-updater");
    expect(emf).not.toHaveProperty("service");
    expect(directive?.Metrics.map((m) => m.Name).sort()).toEqual(
      [METRICS.runsSucceeded, METRICS.runsFailed, METRICS.runsRefused, "run_duration"].sort(),
    );
  });

  it("name every alarmed custom metric as something the functions report", () => {
    expect(new Set(Object.values(CLOUDWATCH_NAMES))).toEqual(new Set(Object.values(METRICS)));
  });
});
