import { SandboxError } from "../contract";
import { checkTimezone, type ParsedExpression, parseScheduleExpression } from "./expression";
import type { ScheduleInput } from "./types";

const NAME = /^[0-9a-zA-Z\-_.]{1,64}$/;

export function checkName(field: string, value: string | undefined): string {
  if (value === undefined || !NAME.test(value)) {
    throw new SandboxError(
      "ValidationException",
      `1 validation error detected: Value '${value ?? "null"}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z-_.]+ and have length between 1 and 64`,
    );
  }
  return value;
}

/** Validates a Create/UpdateSchedule request the way Scheduler does; returns the parsed expression. */
export function checkScheduleInput(input: ScheduleInput): ParsedExpression {
  checkName("name", input.Name);
  if (input.GroupName !== undefined) checkName("groupName", input.GroupName);
  if (!input.ScheduleExpression) invalid("ScheduleExpression must not be null");
  if (input.ScheduleExpression.length > 256) invalid("ScheduleExpression must have length less than or equal to 256");
  if (!input.FlexibleTimeWindow?.Mode) invalid("FlexibleTimeWindow must not be null");
  const window = input.FlexibleTimeWindow;
  if (window.Mode === "FLEXIBLE") {
    const minutes = window.MaximumWindowInMinutes;
    if (minutes === undefined || minutes < 1 || minutes > 1440) {
      invalid("MaximumWindowInMinutes must be between 1 and 1440 when Mode is FLEXIBLE");
    }
  } else if (window.Mode === "OFF") {
    if (window.MaximumWindowInMinutes !== undefined)
      invalid("MaximumWindowInMinutes is only allowed when Mode is FLEXIBLE");
  } else {
    invalid(`FlexibleTimeWindow Mode must be OFF or FLEXIBLE, not ${window.Mode}`);
  }
  if (input.State !== undefined && input.State !== "ENABLED" && input.State !== "DISABLED") {
    invalid(`State must be ENABLED or DISABLED, not ${input.State}`);
  }
  if (input.ActionAfterCompletion !== undefined && !["NONE", "DELETE"].includes(input.ActionAfterCompletion)) {
    invalid(`ActionAfterCompletion must be NONE or DELETE, not ${input.ActionAfterCompletion}`);
  }
  if (input.ClientToken !== undefined && (input.ClientToken.length < 1 || input.ClientToken.length > 64)) {
    invalid("ClientToken must have length between 1 and 64");
  }
  const target = input.Target;
  if (!target?.Arn || !target.RoleArn) invalid("Target.Arn and Target.RoleArn must not be null");
  if (!/^arn:aws:iam::\d{12}:role\/.+$/.test(target.RoleArn))
    invalid(`Target.RoleArn ${target.RoleArn} is not a role ARN`);
  const retry = target.RetryPolicy;
  if (
    retry?.MaximumEventAgeInSeconds !== undefined &&
    (retry.MaximumEventAgeInSeconds < 60 || retry.MaximumEventAgeInSeconds > 86_400)
  ) {
    invalid("RetryPolicy.MaximumEventAgeInSeconds must be between 60 and 86400");
  }
  if (
    retry?.MaximumRetryAttempts !== undefined &&
    (retry.MaximumRetryAttempts < 0 || retry.MaximumRetryAttempts > 185)
  ) {
    invalid("RetryPolicy.MaximumRetryAttempts must be between 0 and 185");
  }
  const dlq = target.DeadLetterConfig?.Arn;
  if (dlq !== undefined && !/^arn:aws:sqs:[a-z0-9-]+:\d{12}:[\w-]+$/.test(dlq)) {
    invalid(`DeadLetterConfig.Arn ${dlq} must be a standard SQS queue ARN`);
  }
  if (dlq?.endsWith(".fifo")) invalid("DeadLetterConfig.Arn must be a standard SQS queue, not FIFO");
  if (input.StartDate && input.EndDate && input.StartDate >= input.EndDate) invalid("StartDate must be before EndDate");
  const timezone = input.ScheduleExpressionTimezone ?? "UTC";
  checkTimezone(timezone);
  return parseScheduleExpression(input.ScheduleExpression, timezone);
}

function invalid(message: string): never {
  throw new SandboxError("ValidationException", message);
}
