import { ALARM_THRESHOLDS, METRIC_DIMENSION_STAGE, METRIC_NAMESPACE, METRICS } from "./metrics";

/**
 * Alarms and a rollout dashboard for one stage. Every alarm notifies the stage's operator topic
 * (subscribe the on-call channel to it); the custom metrics are the ones `infra/metrics.ts` names,
 * dimensioned by stage so a personal stage never pages production.
 */

type Input = $util.Input<string>;

/** Operators subscribe here (email, chat, pager): alarms only, never customer notifications. */
export const operatorAlerts = new sst.aws.SnsTopic("OperatorAlerts");

const stageDimension = { [METRIC_DIMENSION_STAGE]: $app.stage };
const FIVE_MINUTES = 300;

interface AlarmSpec {
  description: string;
  metricName: string;
  namespace: string;
  dimensions: Record<string, Input>;
  statistic: "Sum" | "Maximum";
  threshold: number;
  periods?: number;
}

function alarm(name: string, spec: AlarmSpec): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(name, {
    alarmDescription: spec.description,
    namespace: spec.namespace,
    metricName: spec.metricName,
    dimensions: spec.dimensions,
    statistic: spec.statistic,
    period: FIVE_MINUTES,
    evaluationPeriods: spec.periods ?? 1,
    threshold: spec.threshold,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    // No data is the normal state of a quiet fleet, not an outage.
    treatMissingData: "notBreaching",
    alarmActions: [operatorAlerts.arn],
    okActions: [operatorAlerts.arn],
  });
}

function custom(metricName: string) {
  return { namespace: METRIC_NAMESPACE, metricName, dimensions: stageDimension };
}

/** Updater stage: the executor, its dead letters, the sweeper and the outcome of runs. */
export function updaterMonitoring(executorName: Input, deadLetterQueueName: Input) {
  const alarms = [
    alarm("ExecutorErrorsAlarm", {
      description: "The executor Lambda threw: a run attempt ended outside the run state machine",
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: executorName },
      statistic: "Sum",
      threshold: 1,
    }),
    alarm("DeadLettersAlarm", {
      // The sweeper drains the queue within seconds, so count what arrives, not what waits.
      description:
        "Scheduler could not deliver a schedule or an executor invocation failed (the sweeper re-delivers it)",
      namespace: "AWS/SQS",
      metricName: "NumberOfMessagesSent",
      dimensions: { QueueName: deadLetterQueueName },
      statistic: "Sum",
      threshold: 1,
    }),
    // The sweeper lives beside the executor: what it finds is what the updater lost.
    alarm("SweeperFindingsAlarm", {
      description:
        "The sweeper re-delivered runs whose lease expired or whose schedule never fired, or lost notifications",
      ...custom(METRICS.sweeperFindings),
      statistic: "Sum",
      threshold: ALARM_THRESHOLDS.sweeperFindings,
    }),
    alarm("RunsRefusedAlarm", {
      description: "The executor refused a run in its final checks (signature, floor, rollback, emergency stop)",
      ...custom(METRICS.runsRefused),
      statistic: "Sum",
      threshold: 1,
    }),
    new aws.cloudwatch.MetricAlarm("FailedRunRateAlarm", {
      alarmDescription: `More than ${ALARM_THRESHOLDS.failedRunRate * 100}% of runs failed over 15 minutes`,
      evaluationPeriods: 3,
      threshold: ALARM_THRESHOLDS.failedRunRate,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmActions: [operatorAlerts.arn],
      okActions: [operatorAlerts.arn],
      metricQueries: [
        { id: "failed", metric: { ...custom(METRICS.runsFailed), stat: "Sum", period: FIVE_MINUTES } },
        { id: "succeeded", metric: { ...custom(METRICS.runsSucceeded), stat: "Sum", period: FIVE_MINUTES } },
        {
          id: "rate",
          expression: "FILL(failed, 0) / (FILL(failed, 0) + FILL(succeeded, 0))",
          label: "failed run rate",
          returnData: true,
        },
      ],
    }),
  ];
  const dashboard = dashboardOf("Runs", [
    widget("Runs", [
      [METRIC_NAMESPACE, METRICS.runsSucceeded, METRIC_DIMENSION_STAGE, $app.stage],
      [METRIC_NAMESPACE, METRICS.runsFailed, METRIC_DIMENSION_STAGE, $app.stage],
      [METRIC_NAMESPACE, METRICS.runsRefused, METRIC_DIMENSION_STAGE, $app.stage],
    ]),
    widget("Executor", [
      ["AWS/Lambda", "Invocations", "FunctionName", executorName],
      ["AWS/Lambda", "Errors", "FunctionName", executorName],
      ["AWS/Lambda", "Throttles", "FunctionName", executorName],
    ]),
    widget("Dead letters", [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", deadLetterQueueName]]),
    widget("Sweeper findings", [[METRIC_NAMESPACE, METRICS.sweeperFindings, METRIC_DIMENSION_STAGE, $app.stage]]),
  ]);
  return { alarms, dashboard };
}

/** Main stage: rollout planning and the API. */
export function mainMonitoring(apiName: Input) {
  const alarms = [
    alarm("PlanningLagAlarm", {
      description: "A rollout's runs were still being scheduled long after its grace end",
      ...custom(METRICS.planningLagSeconds),
      statistic: "Maximum",
      threshold: ALARM_THRESHOLDS.planningLagSeconds,
    }),
    alarm("ApiErrorsAlarm", {
      description: "The API Lambda threw (5xx or a crashed plan continuation) three periods in a row",
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: apiName },
      statistic: "Sum",
      threshold: 1,
      periods: 3,
    }),
  ];
  const dashboard = dashboardOf("Rollouts", [
    widget("Planning lag (s)", [[METRIC_NAMESPACE, METRICS.planningLagSeconds, METRIC_DIMENSION_STAGE, $app.stage]]),
    widget("API", [
      ["AWS/Lambda", "Invocations", "FunctionName", apiName],
      ["AWS/Lambda", "Errors", "FunctionName", apiName],
    ]),
  ]);
  return { alarms, dashboard };
}

type MetricRow = Input[];

function widget(title: string, metrics: MetricRow[]) {
  return { title, metrics };
}

function dashboardOf(title: string, widgets: { title: string; metrics: MetricRow[] }[]) {
  const region = aws.getRegionOutput().region;
  return new aws.cloudwatch.Dashboard(`${title}Dashboard`, {
    dashboardName: `${$app.name}-${$app.stage}-${title.toLowerCase()}`,
    dashboardBody: $jsonStringify({
      widgets: widgets.map((w, index) => ({
        type: "metric",
        x: (index % 2) * 12,
        y: Math.floor(index / 2) * 6,
        width: 12,
        height: 6,
        properties: {
          title: w.title,
          region,
          view: "timeSeries",
          stat: "Sum",
          period: FIVE_MINUTES,
          metrics: w.metrics,
        },
      })),
    }),
  });
}
