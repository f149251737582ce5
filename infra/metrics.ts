/**
 * The metric names and alarm thresholds live in core (packages/core/src/metrics.ts), where the
 * functions that publish the metrics read them too; infra alarms on exactly those names.
 */
export * from "@stackfleet/core/metrics";
