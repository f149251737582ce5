export { type BackoffOptions, DEFAULT_BACKOFF, isThrottle, realSleep, withBackoff } from "../aws/retry";
export {
  createEventBridgeRunScheduler,
  type EventBridgeSchedulerDeps,
  EventBridgeSchedulerSettings,
} from "./eventbridge";
export { atExpression, createClientToken, MAX_ATTEMPT, SCHEDULE_NAME_PATTERN, scheduleName } from "./names";
export { mapWithConcurrency } from "./pool";
export {
  createSchedulerCounters,
  type RunHint,
  type RunScheduler,
  runHint,
  SCHEDULE_KINDS,
  type ScheduleKind,
  type ScheduleRunRequest,
  type SchedulerCounters,
} from "./run-scheduler";
export { createTokenBucket, type RateLimiter, type TokenBucketOptions } from "./token-bucket";
