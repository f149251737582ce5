import type { CreateScheduleCommandInput, SchedulerClient } from "@aws-sdk/client-scheduler";
import { type BackoffOptions, DEFAULT_BACKOFF, isThrottle, isTransient, realSleep, withBackoff } from "../aws/retry";
import { StackfleetError } from "../error";
import * as z from "../zod-mini";
import { atExpression, createClientToken, SCHEDULE_NAME_PATTERN, scheduleName } from "./names";
import {
  createSchedulerCounters,
  type RunScheduler,
  runHint,
  type ScheduleRunRequest,
  type SchedulerCounters,
} from "./run-scheduler";
import type { RateLimiter } from "./token-bucket";

/** Deployment settings, validated against Scheduler's documented limits when the adapter is built. */
export const EventBridgeSchedulerSettings = z.object({
  groupName: z.string().check(z.regex(SCHEDULE_NAME_PATTERN)),
  executorArn: z.string().check(z.startsWith("arn:")),
  /** The role Scheduler assumes; it may only invoke the executor. */
  schedulerRoleArn: z.string().check(z.startsWith("arn:")),
  /** A standard SQS queue for deliveries Scheduler gave up on. */
  deadLetterArn: z.string().check(z.startsWith("arn:")),
  /** Absent: fire within the minute. Otherwise Scheduler may spread the fire over this many minutes. */
  flexibleWindowMinutes: z.optional(z.int().check(z.gte(1), z.lte(1440))),
  // A delivery an hour late is still worth making: the executor re-checks everything.
  retryPolicy: z._default(
    z.object({
      maximumEventAgeSeconds: z.int().check(z.gte(60), z.lte(86_400)),
      maximumRetryAttempts: z.int().check(z.gte(0), z.lte(185)),
    }),
    { maximumEventAgeSeconds: 3600, maximumRetryAttempts: 10 },
  ),
  /**
   * Fire times closer than this to now are pushed to now + this. Scheduler's handling of an
   * at() already in the past is not something to rely on, and "update now" would otherwise
   * race the clock.
   */
  minLeadSeconds: z._default(z.int().check(z.gte(0)), 60),
});
export type EventBridgeSchedulerSettings = z.input<typeof EventBridgeSchedulerSettings>;

export interface EventBridgeSchedulerDeps {
  /**
   * Ideally built with `maxAttempts: 1`: the adapter does its own jittered backoff on
   * throttling, and the SDK's retries would multiply with it.
   */
  client: SchedulerClient;
  now(): Date;
  counters?: SchedulerCounters;
  backoff?: Partial<BackoffOptions>;
  /** The process's CreateSchedule budget (token-bucket.ts): every attempt, retries included, takes a token. */
  rateLimiter?: RateLimiter;
}

const metadataStatus = (error: unknown) =>
  (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
const errorName = (error: unknown) => (error instanceof Error ? error.name : undefined);

const unavailable = (operation: string, name: string, error: unknown) => {
  const throttled = isThrottle(error);
  return new StackfleetError(
    "unavailable",
    throttled ? "scheduler_throttled" : "scheduler_failed",
    // The message reaches API clients; AWS's own text (ARNs, account ids) stays in details.
    throttled ? "the scheduler is busy, try again later" : "the scheduler is unavailable",
    {
      operation,
      schedule: name,
      awsError: errorName(error),
      awsMessage: error instanceof Error ? error.message : String(error),
      httpStatus: metadataStatus(error),
    },
  );
};

/** The production `RunScheduler`: one-shot schedules in the updater stage's group, deleted after they fire. */
export function createEventBridgeRunScheduler(
  settingsInput: EventBridgeSchedulerSettings,
  deps: EventBridgeSchedulerDeps,
): RunScheduler & { counters: SchedulerCounters } {
  const settings = EventBridgeSchedulerSettings.parse(settingsInput);
  const counters = deps.counters ?? createSchedulerCounters();
  const backoff: BackoffOptions = { ...DEFAULT_BACKOFF, sleep: realSleep, random: Math.random, ...deps.backoff };
  const countThrottle = (error: unknown) => {
    if (isThrottle(error)) counters.throttled++;
  };

  async function scheduleRun(request: ScheduleRunRequest) {
    const name = scheduleName(request.runId, request.kind, request.attempt);
    const earliest = deps.now().getTime() + settings.minLeadSeconds * 1000;
    const expression = atExpression(new Date(Math.max(request.at.getTime(), earliest)));
    const input: CreateScheduleCommandInput = {
      Name: name,
      GroupName: settings.groupName,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: "UTC",
      FlexibleTimeWindow:
        settings.flexibleWindowMinutes === undefined
          ? { Mode: "OFF" }
          : { Mode: "FLEXIBLE", MaximumWindowInMinutes: settings.flexibleWindowMinutes },
      ActionAfterCompletion: "DELETE",
      ClientToken: createClientToken(settings.groupName, name, expression),
      Target: {
        Arn: settings.executorArn,
        RoleArn: settings.schedulerRoleArn,
        // The run id, and at most the keys of the run's integration and version to read with it:
        // the executor checks them against the run (executor/input.ts), so nothing else fits.
        Input: JSON.stringify({ runId: request.runId, ...(request.hint ? runHint(request.hint) : {}) }),
        RetryPolicy: {
          MaximumEventAgeInSeconds: settings.retryPolicy.maximumEventAgeSeconds,
          MaximumRetryAttempts: settings.retryPolicy.maximumRetryAttempts,
        },
        DeadLetterConfig: { Arn: settings.deadLetterArn },
      },
    };
    try {
      await withBackoff(
        async () => {
          await deps.rateLimiter?.take();
          counters.create++;
          const { CreateScheduleCommand } = await import("@aws-sdk/client-scheduler");
          return deps.client.send(new CreateScheduleCommand(input));
        },
        // Safe to send again: the same name, time and ClientToken is a replay Scheduler recognises.
        isTransient,
        backoff,
        countThrottle,
      );
      return { name, created: true };
    } catch (error) {
      countThrottle(error);
      // Same name in the group: this run's wake-up is already scheduled (a replayed plan).
      if (errorName(error) === "ConflictException") return { name, created: false };
      throw unavailable("CreateSchedule", name, error);
    }
  }

  async function cancel(name: string) {
    try {
      await withBackoff(
        async () => {
          counters.delete++;
          // Loaded on first use, like the client (aws/lazy-client.ts): a cold start does not pay for it.
          const { DeleteScheduleCommand } = await import("@aws-sdk/client-scheduler");
          return deps.client.send(new DeleteScheduleCommand({ Name: name, GroupName: settings.groupName }));
        },
        // Scheduler also answers Conflict briefly while a schedule is being created or updated.
        (error) => isTransient(error) || errorName(error) === "ConflictException",
        backoff,
        countThrottle,
      );
    } catch (error) {
      countThrottle(error);
      // Gone already: it fired (ActionAfterCompletion DELETE) or was never created.
      if (errorName(error) === "ResourceNotFoundException") return;
      throw unavailable("DeleteSchedule", name, error);
    }
  }

  return { scheduleRun, cancel, counters };
}
