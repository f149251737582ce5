import { roleNames } from "@stackfleet/core/template/customer/names";

/**
 * IAM grants that both stages must agree on: the main stage writes them into resource policies
 * (for an updater in another account) and the updater into its own roles.
 */

type Input = $util.Input<string>;

export interface Statement {
  actions: string[];
  resources: Input[];
  conditions?: { test: string; variable: string; values: Input[] }[];
}

/** The executor records runs and events; it never scans or deletes (markers expire by TTL). */
export const executorTableActions = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:ConditionCheckItem",
];

/** The sweeper reads the sparse due-indexes and stamps notifications delivered (BatchWriteItem puts). */
export const sweeperTableActions = [
  "dynamodb:GetItem",
  "dynamodb:Query",
  "dynamodb:PutItem",
  "dynamodb:BatchWriteItem",
];

/** The executor fetches template bytes by their content address; it never writes or lists. */
export const executorTemplateActions = ["s3:GetObject", "s3:GetObjectVersion"];

export function tableResources(tableArn: Input): Input[] {
  return [tableArn, $interpolate`${tableArn}/index/*`];
}

/**
 * Create and delete one-shot run schedules in one group, handing Scheduler only its own role.
 * Schedule ARNs are `…:schedule/<group>/<name>`, the group's is `…:schedule-group/<group>`.
 */
export function scheduleWriting(scheduleGroupArn: Input, schedulerRoleArn: Input): Statement[] {
  const schedules = $output(scheduleGroupArn).apply((arn) => `${arn.replace(":schedule-group/", ":schedule/")}/*`);
  return [
    {
      actions: ["scheduler:CreateSchedule", "scheduler:DeleteSchedule", "scheduler:GetSchedule"],
      resources: [schedules],
    },
    {
      actions: ["iam:PassRole"],
      resources: [schedulerRoleArn],
      conditions: [{ test: "StringEquals", variable: "iam:PassedToService", values: ["scheduler.amazonaws.com"] }],
    },
  ];
}

/**
 * A role the customer template creates, in any customer account and Region (its name carries the
 * Region). Taken from the template's own naming so the grant and the template cannot drift.
 */
export function customerRoleArns(prefix: string, role: "integration" | "update"): string {
  return `arn:aws:iam::*:role/${roleNames(prefix)[role].replace("${AWS::Region}", "*")}`;
}

/** `arn:aws:s3:::name` → `name` (S3 calls take the bucket name, not its ARN). */
export function bucketName(arn: string): string {
  const name = /^arn:[\w-]+:s3:::([a-z0-9.-]+)$/.exec(arn)?.[1];
  if (!name) throw new Error(`not an S3 bucket ARN: ${arn}`);
  return name;
}
