import type { Deps } from "../context";
import type { Notifier } from "../notify/notifier";
import type { RunScheduler } from "../schedule/run-scheduler";
import { DEFAULT_ROLLOUT_POLICY, RolloutPolicy } from "./policy";

/** What planning and the rollout controls need besides the table. */
export interface RolloutContext {
  scheduler: RunScheduler;
  /** The current policy (control item `rollout-policy`, or the defaults); a rollout keeps the one it started with. */
  policy: RolloutPolicy;
  /** Customer notifications are delivered right after the write when present; the sweeper catches the rest. */
  notifier?: Notifier;
  /** Scheduler calls in flight at once (default 16): CreateSchedule is rate-limited per Region. */
  schedulerConcurrency?: number;
  /** Planning shards worked on at once (default: all of them); their Scheduler calls share `scheduler`'s budget. */
  planConcurrency?: number;
  /** How far apart the planner spaces a wave's batches (default 30: about one update and its watch). */
  slotMinutes?: number;
}

export const DEFAULT_SCHEDULER_CONCURRENCY = 16;
export const DEFAULT_SLOT_MINUTES = 30;

/** The operator's stored policy, or the defaults until one is stored. */
export async function loadRolloutPolicy(deps: Deps): Promise<RolloutPolicy> {
  const { data } = await deps.service.entities.control.get({ name: "rollout-policy" }).go();
  return data?.policy ? RolloutPolicy.parse(data.policy) : DEFAULT_ROLLOUT_POLICY;
}
