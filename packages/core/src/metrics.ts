/**
 * The CloudWatch metrics Stackfleet's functions publish and infra alarms on, named once so code
 * (embedded metric format) and alarms cannot drift apart. Pure constants: infra/metrics.ts
 * re-exports them for the alarms.
 */
export const METRIC_NAMESPACE = "Stackfleet";

/** Every custom metric carries the stage, so personal stages never trip production's alarms. */
export const METRIC_DIMENSION_STAGE = "Stage";

export const METRICS = {
  /** Executor: a run ended `succeeded` (count, 1 per run). */
  runsSucceeded: "RunsSucceeded",
  /** Executor: a run ended `failed` or `access-lost` (count, 1 per run). */
  runsFailed: "RunsFailed",
  /** Executor: a run refused by a final check (signature, floor, rollback, stop) (count). */
  runsRefused: "RunsRefused",
  /** Sweeper: stuck runs, orphaned schedules or undelivered notifications found per sweep (count). */
  sweeperFindings: "SweeperFindings",
  /** Planner: seconds between a version's grace end and its last run being scheduled (max). */
  planningLagSeconds: "PlanningLagSeconds",
} as const;

export type MetricName = (typeof METRICS)[keyof typeof METRICS];

/**
 * What the functions report (core's `metric(name, …)` calls) as the CloudWatch metric the alarms
 * watch. Names not listed are published as they are (durations, per-kind sweep counts).
 */
export const CLOUDWATCH_NAMES: Readonly<Record<string, MetricName>> = {
  run_succeeded: METRICS.runsSucceeded,
  run_failed: METRICS.runsFailed,
  RunsRefused: METRICS.runsRefused,
  SweeperFindings: METRICS.sweeperFindings,
  PlanningLagSeconds: METRICS.planningLagSeconds,
};

/** Alarm thresholds, documented in the README's deploy runbook beside the metric names. */
export const ALARM_THRESHOLDS = {
  /** Share of finished runs that failed, over 15 minutes. */
  failedRunRate: 0.2,
  /** Any finding means the system repaired or could not repair itself: an operator should look. */
  sweeperFindings: 1,
  /** A rollout whose runs are still being scheduled 15 minutes after grace end is lagging. */
  planningLagSeconds: 900,
} as const;
