import type { Actor, Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { writeShardOf } from "../db/write-shards";
import { record } from "../event/event";
import type { RunRecord } from "../run/run";
import { runHint, scheduleName } from "../schedule/index";
import type { RolloutContext } from "./context";
import { wakeOf } from "./planned-runs";

export interface RescheduleInput {
  at: Date;
  actor: Actor;
  action: string;
  reason?: string;
  /** Customer-visible when the time moves for a customer's reason (window, update now, resume). */
  notify: boolean;
  /** "manual" for the customer's update-now: the wave gates do not hold it back. */
  wave?: string;
}

/**
 * Moves a still-scheduled run to a new time under a new schedule name (`<run>.<kind>.<n+1>`):
 * a fresh name never collides with the old schedule, which may not be deleted yet, nor with a
 * ClientToken Scheduler still remembers. Order: record first, then schedule, then delete the
 * old schedule as a courtesy — if the old one fires meanwhile, the executor claims the run once.
 */
export async function reschedule(
  deps: Deps,
  ctx: Pick<RolloutContext, "scheduler">,
  run: RunRecord,
  input: RescheduleInput,
): Promise<RunRecord> {
  const wake = wakeOf(run);
  const name = scheduleName(run.runId, wake.kind, wake.n + 1);
  const set = {
    scheduledFor: input.at.toISOString(),
    scheduleName: name,
    updatedAt: deps.now().toISOString(),
    ...(input.wave ? { wave: input.wave } : {}),
  };
  const audit = record(deps, {
    actor: input.actor,
    action: input.action,
    reason: input.reason,
    notify: input.notify,
    runId: run.runId,
    integrationId: run.integrationId,
    tenantId: run.tenantId,
    version: run.version,
    data: { from: run.scheduledFor, scheduledFor: set.scheduledFor, schedule: name },
  });
  // A wave run the customer takes out of its wave (update now) no longer counts in the wave's
  // size, or the canary would wait for it forever; the tally counts first attempts only.
  const leavesWave =
    input.wave === "manual" && run.attempt === 1 && (run.wave === "canary" || run.wave === "main")
      ? run.wave
      : undefined;
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ run: runs, event, waveTally }) => [
          runs
            .patch({ runId: run.runId })
            .set(set)
            // A new time moves the run in the sweep index, whose partition carries the shard.
            .composite({ shard: writeShardOf(run.runId) })
            .add({ rev: 1 })
            .where(({ state, rev }, { eq }) => `${eq(state, "scheduled")} AND ${eq(rev, run.rev)}`)
            .commit(),
          event.create(audit).commit(),
          ...(leavesWave
            ? [waveTally.update({ version: run.version, wave: leavesWave }).subtract({ size: 1 }).commit()]
            : []),
        ])
        .go(),
    [
      { code: "run_state_changed", message: `Run ${run.runId} changed concurrently` },
      { code: "event_exists", message: "Audit event id collision" },
      { code: "tally_conflict", message: "Wave tally changed concurrently" },
    ],
  );
  await ctx.scheduler.scheduleRun({
    runId: run.runId,
    at: input.at,
    kind: wake.kind,
    attempt: wake.n + 1,
    hint: runHint(run),
  });
  // The old wake-up may be the one firing right now; deleting it is a courtesy.
  if (run.scheduleName) await ctx.scheduler.cancel(run.scheduleName).catch(() => undefined);
  return { ...run, ...set, rev: run.rev + 1 };
}

/** Makes sure the schedule a scheduled run names exists (ConflictException counts as yes). */
export function ensureSchedule(ctx: RolloutContext, run: RunRecord) {
  const wake = wakeOf(run);
  return ctx.scheduler.scheduleRun({
    runId: run.runId,
    at: new Date(run.scheduledFor),
    kind: wake.kind,
    attempt: wake.n,
    hint: runHint(run),
  });
}
