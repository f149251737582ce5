import type { Deps } from "../context";
import { byKey, everyShard } from "../db/shard-reads";
import { type EventRecord, timeKeyOf } from "../event/event";
import { deliver } from "../notify/deliver";
import { IN_FLIGHT_STATES } from "../run/lease";
import type { RunRecord } from "../run/run";
import { sweepKeyOf } from "../run/sweep-due";
import { globalControl } from "../version/halts";
import { findBySemver } from "../version/version";
import { emptyCounts, type SweepCounts, type SweeperContext } from "./context";

const DEFAULT_LIMIT = 500;

/** infra/metrics.ts `METRICS.sweeperFindings`, which `SweeperFindingsAlarm` watches (a test holds them equal). */
export const SWEEPER_FINDINGS = "SweeperFindings";

/**
 * One pass of the sweeper (every 5 minutes in AWS, on a timer in `npm start`): whatever lost its
 * delivery is delivered again. Runs come from the sparse `sweepDue` index (only live runs, by
 * when they are overdue), notifications from the sparse `undelivered` index — never a scan.
 * Re-delivering is always safe: the executor's conditional writes and leases make a second
 * delivery a no-op.
 */
export async function sweep(deps: Deps, ctx: SweeperContext, { now }: { now: Date }): Promise<SweepCounts> {
  const counts = emptyCounts();
  const limit = ctx.limit ?? DEFAULT_LIMIT;
  await sweepRuns(deps, ctx, now, limit, counts);
  if (ctx.notifier)
    counts.notifications = await sweepNotifications(deps, ctx, now, limit).catch((e: unknown) => {
      // The notifier refused (SNS down, say): they stay undelivered for the next sweep.
      counts.failures++;
      ctx.log.error("notification delivery failed", { error: (e as Error).message });
      return 0;
    });
  for (const [name, value] of Object.entries(counts)) ctx.metric?.(`sweep_${name}`, value, "Count");
  const findings = counts.expiredLeases + counts.overdueRuns + counts.notifications + counts.failures;
  ctx.metric?.(SWEEPER_FINDINGS, findings, "Count");
  if (findings > 0) ctx.log.warn("sweep found lost work", { ...counts });
  return counts;
}

async function sweepRuns(deps: Deps, ctx: SweeperContext, now: Date, limit: number, counts: SweepCounts) {
  const due = (shard: number) =>
    deps.service.entities.run.query.sweepDue({ shard }).lte({ sweepAt: now.toISOString() });
  // Every overdue item is read (the index holds only live runs, and only the overdue ones match),
  // so a halted version's many waiting runs, skipped below, never crowd out the rest; at most
  // `limit` of each kind are re-delivered per sweep, the longest overdue first across the shards.
  const [inFlight = [], waiting = []] = await Promise.all([
    everyShard((shard) =>
      due(shard)
        .where(({ state }, { eq }) => IN_FLIGHT_STATES.map((s) => eq(state, s)).join(" OR "))
        .go({ pages: "all" }),
    ),
    everyShard((shard) =>
      due(shard)
        .where(({ state }, { eq }) => eq(state, "scheduled"))
        .go({ pages: "all" }),
    ),
  ]).then((found) => found.map((runs) => runs.sort(byKey(sweepKeyOf))));
  for (const run of inFlight.slice(0, limit)) {
    if (await redeliver(ctx, run)) counts.expiredLeases++;
    else counts.failures++;
  }
  const halted = await haltedCheck(deps);
  let overdue = 0;
  for (const run of waiting) {
    if (await halted(run)) counts.heldRuns++;
    else if (overdue++ < limit) {
      if (await redeliver(ctx, run)) counts.overdueRuns++;
      else counts.failures++;
    }
  }
}

/** False when the hand-over failed: the run stays due and the next sweep tries again. */
async function redeliver(ctx: SweeperContext, run: RunRecord): Promise<boolean> {
  try {
    await ctx.redeliver(run.runId);
    return true;
  } catch (e) {
    ctx.log.error("re-delivery failed", { runId: run.runId, error: (e as Error).message });
    return false;
  }
}

/** Halts are read once per sweep: a halted version's waiting runs wait for resume, which re-plans them. */
async function haltedCheck(deps: Deps): Promise<(run: RunRecord) => Promise<boolean>> {
  const global = await globalControl(deps);
  const versions = new Map<string, Promise<boolean>>();
  return (run) => {
    if (global.halted) return Promise.resolve(true);
    let held = versions.get(run.version);
    if (!held) {
      held = findBySemver(deps, run.version).then((v) => v !== undefined && v.state !== "published");
      versions.set(run.version, held);
    }
    return held;
  };
}

async function sweepNotifications(deps: Deps, ctx: SweeperContext, now: Date, limit: number): Promise<number> {
  const before = new Date(now.getTime() - (ctx.notificationGraceMs ?? 60_000)).toISOString();
  // The oldest `limit` of each shard hold the oldest `limit` overall.
  const found = await everyShard((shard) =>
    deps.service.entities.event.query.undelivered({ shard }).lte({ at: before }).go({ limit, pages: 1 }),
  );
  const oldest = (found as EventRecord[]).sort(byKey(timeKeyOf)).slice(0, limit);
  return deliver(deps, ctx.notifier!, oldest);
}
