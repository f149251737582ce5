/**
 * When a run that is not final becomes the sweeper's business. Kept apart from the entity so the
 * rule reads on its own: a waiting run is overdue a while after its time (Scheduler fires within
 * a minute, so a run still `scheduled` 10 minutes later lost its schedule); a run in flight when
 * its lease runs out (a lease handed to a "watch" schedule gets the same slack as a schedule).
 */
export const SCHEDULE_OVERDUE_MS = 10 * 60_000;

/** The value that takes a final run out of the sparse `sweepDue` index. */
export const SWEEP_DONE = "none";

const FINAL = new Set(["skipped", "ineligible", "succeeded", "failed", "cancelled"]);
const IN_FLIGHT = new Set(["claimed", "executing", "watching"]);

const plus = (iso: string, ms: number) => new Date(Date.parse(iso) + ms).toISOString();

/**
 * ElectroDB hands a watcher only the attributes of the write at hand, so this decides from what
 * is being written: a state change, a reschedule (`scheduledFor` alone, only ever on a waiting
 * run) or a new lease. `undefined`: nothing here moves the sweep time.
 */
export function sweepAtFor(item: Record<string, unknown>): string | undefined {
  const state = typeof item.state === "string" ? item.state : undefined;
  if (state && FINAL.has(state)) return SWEEP_DONE;
  const lease = typeof item.leaseUntil === "string" ? item.leaseUntil : undefined;
  if ((state === undefined || IN_FLIGHT.has(state)) && lease)
    return item.leasedTo === "schedule" ? plus(lease, SCHEDULE_OVERDUE_MS) : lease;
  const scheduledFor = typeof item.scheduledFor === "string" ? item.scheduledFor : undefined;
  if ((state === undefined || state === "scheduled") && scheduledFor) return plus(scheduledFor, SCHEDULE_OVERDUE_MS);
  return undefined;
}

/** A run's place in the `sweepDue` index as DynamoDB orders it (ties by id, which DynamoDB leaves open). */
export const sweepKeyOf = (run: { sweepAt?: string; runId: string }) =>
  `${run.sweepAt ?? ""}#${run.runId}`.toLowerCase();
