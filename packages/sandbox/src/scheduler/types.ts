/** SDK-shaped pieces of EventBridge Scheduler the sandbox keeps (see `@aws-sdk/client-scheduler`). */
export interface ScheduleTarget {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  DeadLetterConfig?: { Arn?: string };
}

export interface ScheduleInput {
  Name?: string;
  GroupName?: string;
  ScheduleExpression?: string;
  ScheduleExpressionTimezone?: string;
  StartDate?: Date;
  EndDate?: Date;
  Description?: string;
  State?: string;
  KmsKeyArn?: string;
  Target?: ScheduleTarget;
  FlexibleTimeWindow?: { Mode?: string; MaximumWindowInMinutes?: number };
  ActionAfterCompletion?: string;
  ClientToken?: string;
}

export interface Schedule {
  accountId: string;
  region: string;
  Arn: string;
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone?: string;
  StartDate?: Date;
  EndDate?: Date;
  Description?: string;
  State: "ENABLED" | "DISABLED";
  KmsKeyArn?: string;
  Target: ScheduleTarget;
  FlexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  ActionAfterCompletion: "NONE" | "DELETE";
  CreationDate: Date;
  LastModificationDate: Date;
  clientToken?: string;
  /** When it is next due on the sandbox clock; undefined once a one-time schedule has fired. */
  nextFireAt?: Date;
}

export interface ScheduleGroup {
  accountId: string;
  region: string;
  Arn: string;
  Name: string;
  State: "ACTIVE" | "DELETING";
  CreationDate: Date;
  LastModificationDate: Date;
}
