export {
  SCHEDULE_KINDS,
  type ScheduleKind,
  type ScheduleRunRequest,
  type RunScheduler,
  type SchedulerCounters,
  createSchedulerCounters,
} from "./run-scheduler";
export { scheduleName, createClientToken, atExpression, SCHEDULE_NAME_PATTERN, MAX_ATTEMPT } from "./names";
export { withBackoff, DEFAULT_BACKOFF, realSleep, type BackoffOptions } from "./backoff";
export { mapWithConcurrency } from "./pool";
export {
  createEventBridgeRunScheduler,
  EventBridgeSchedulerSettings,
  type EventBridgeSchedulerDeps,
  isThrottle,
} from "./eventbridge";
