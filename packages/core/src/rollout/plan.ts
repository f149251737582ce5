import type { Deps } from "../context";
import { conflict, StackfleetError } from "../error";
import type { IntegrationRecord } from "../integration/integration";
import { PLAN_SHARDS } from "../integration/integration.entity";
import { pageByVersion } from "../run/queries";
import type { RunRecord } from "../run/run";
import { forEachUntil, mapWithConcurrency } from "../schedule/pool";
import type { VersionRecord } from "../version/version";
import { DEFAULT_SCHEDULER_CONCURRENCY, type RolloutContext } from "./context";
import { customerVerdicts } from "./customer-grace";
import { type PageContext, PLANNER, planPage } from "./plan-page";
import { foldPlannedSizes } from "./plan-size";
import { RUNS_PER_TRANSACTION } from "./planned-runs";
import { reschedule } from "./reschedule";
import { ensureRolloutRecord } from "./rollout-record";
import { runTimeFor } from "./window";

export interface PlanOptions {
  /** Where the previous invocation stopped (`PlanResult.cursor`); absent: from the start. */
  cursor?: string | null;
  /** Stop after the pages that cross this much wall time and return a cursor. */
  budgetMs?: number;
  /** Integrations read per GSI page (default 98: two full transactions, within BatchGetItem's 100). */
  pageSize?: number;
  /** Planning shards worked on at once (default `ctx.planConcurrency`, else every shard). */
  concurrency?: number;
  /**
   * Resuming a halt: first give every waiting run of the version a new schedule (the halt may
   * have deleted its schedule, or it fired and was refused), then — unless `wakeOnly` — plan.
   */
  wake?: boolean;
  wakeOnly?: boolean;
}

export interface PlanResult {
  /** Runs created by this call. */
  planned: number;
  /** Eligible integrations that already had a run (a re-plan). */
  existing: number;
  /** Scheduled runs whose time had passed (fired while halted) and were scheduled again. */
  rescheduled: number;
  /** In the eligible pool but not for this version: skipped it, already at it, … */
  skipped: number;
  /** Set when the budget ran out: pass it to the next invocation. */
  cursor: string | null;
}

type Cursor = {
  /** Present while waking a resumed rollout's waiting runs; `then` says whether planning follows. */
  wake?: { page: string | null; then: "plan" | "stop" };
  /** Per planning shard: where its next page starts (null: at its beginning), false once done. */
  shards: (string | null | false)[];
  index: { canary: number; main: number };
  /** Set when a wake phase went first: its runs are due now and must not be woken twice. */
  woken?: boolean;
};
const startCursor = (): Cursor => ({
  shards: Array.from({ length: PLAN_SHARDS }, () => null),
  index: { canary: 0, main: 0 },
});
const encode = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString("base64url");
function decode(s: string): Cursor {
  const c = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as Cursor & { shard?: number; page?: string };
  if (Array.isArray(c.shards)) return c;
  // A serial planner's cursor (one shard at a time), handed over across a deploy.
  const shard = c.shard ?? 0;
  const shards = startCursor().shards.map((_, i) => (i < shard ? false : i === shard ? (c.page ?? null) : null));
  return { wake: c.wake, woken: c.woken, index: c.index, shards };
}

/**
 * Plans a published version's rollout: one run and one one-shot schedule per eligible
 * integration. Reads only the `eligible` planning pool (GSI `byPlanState`), its shards in
 * parallel (`concurrency` at once) and each page by page, never the table. Idempotent: run ids
 * are derived from (version, integration, attempt) and created conditionally, schedule names
 * from run ids, so a second plan creates nothing and only re-asserts the schedules of runs still
 * waiting. Once `budgetMs` is spent every shard stops at its next page boundary and a cursor
 * (each shard's position) is returned; the caller continues in a new invocation.
 */
export async function planVersion(
  deps: Deps,
  ctx: RolloutContext,
  version: VersionRecord,
  options: PlanOptions = {},
): Promise<PlanResult> {
  // Waking a halted version's waiting runs needs no approval: planning new ones does.
  assertPlannable(version, { wakeOnly: options.wakeOnly === true });
  // Runs without schedules would sit until someone re-plans: refuse before creating any.
  if (ctx.scheduler.configured === false)
    throw new StackfleetError(
      "unavailable",
      "scheduler_not_configured",
      "Rollouts need the updater stage: deploy it, then plan again",
    );
  const started = Date.now();
  const rollout = await ensureRolloutRecord(deps, version, ctx.policy, ctx.notifier);
  // What a crashed call counted but did not fold yet.
  await foldPlannedSizes(deps, version.version);
  let cursor: Cursor = options.cursor
    ? decode(options.cursor)
    : options.wake
      ? { ...startCursor(), wake: { page: null, then: options.wakeOnly ? "stop" : "plan" } }
      : startCursor();
  const result: PlanResult = { planned: 0, existing: 0, rescheduled: 0, skipped: 0, cursor: null };
  const outOfTime = () => options.budgetMs !== undefined && Date.now() - started >= options.budgetMs;
  const pageSize = options.pageSize ?? 2 * RUNS_PER_TRANSACTION;

  while (cursor.wake) {
    const page = await pageByVersion(deps, version.version, "scheduled", { limit: pageSize, cursor: cursor.wake.page });
    result.rescheduled += await wakePage(deps, ctx, page.data);
    if (page.cursor) cursor = { ...cursor, wake: { ...cursor.wake, page: page.cursor } };
    else if (cursor.wake.then === "stop") return result;
    else cursor = { ...startCursor(), woken: true };
    if (outOfTime()) return { ...result, cursor: encode(cursor) };
  }

  const shared: PageContext = { version, rollout, verdictFor: customerVerdicts(deps, version), index: cursor.index };
  const positions = cursor.shards;
  const pending = positions.flatMap((position, shard) => (position === false ? [] : [shard]));
  const concurrency = options.concurrency ?? ctx.planConcurrency ?? PLAN_SHARDS;
  // Every shard started plans at least one page, so a chain of invocations always progresses.
  await forEachUntil(pending, concurrency, outOfTime, async (shard, stop) => {
    do {
      const page = await deps.service.entities.integration.query
        .byPlanState({ planState: "eligible", planShard: shard })
        .go({ limit: pageSize, cursor: positions[shard] || null });
      await planPage(deps, ctx, shared, page.data, result);
      positions[shard] = page.cursor ?? false;
    } while (positions[shard] !== false && !stop());
  });
  // The waves' sizes, from what the shards counted: one write to each tally per call.
  await foldPlannedSizes(deps, version.version);
  return { ...result, cursor: positions.every((p) => p === false) ? null : encode(cursor) };
}

/**
 * Every waiting run under a new schedule name: the halt may have deleted its schedule (and
 * Scheduler may still remember that request's ClientToken), or it fired during the halt and the
 * claim was refused. A run whose time passed goes at the next moment its window allows.
 */
async function wakePage(deps: Deps, ctx: RolloutContext, runs: RunRecord[]): Promise<number> {
  const now = deps.now();
  const due = runs.filter((r) => Date.parse(r.scheduledFor) <= now.getTime());
  const windows = new Map<string, IntegrationRecord["maintenanceWindow"]>();
  let keys = [...new Set(due.map((r) => r.integrationId))].map((integrationId) => ({ integrationId }));
  while (keys.length > 0) {
    const { data, unprocessed } = await deps.service.entities.integration.get(keys).go();
    for (const i of data) windows.set(i.integrationId, i.maintenanceWindow);
    keys = unprocessed as typeof keys;
  }
  await mapWithConcurrency(runs, ctx.schedulerConcurrency ?? DEFAULT_SCHEDULER_CONCURRENCY, async (run) => {
    const isDue = Date.parse(run.scheduledFor) <= now.getTime();
    const at = isDue ? runTimeFor(windows.get(run.integrationId), now) : new Date(run.scheduledFor);
    await reschedule(deps, ctx, run, {
      at,
      actor: PLANNER,
      action: "update.rescheduled",
      reason: "rollout resumed",
      notify: isDue,
    });
  });
  return runs.length;
}

function assertPlannable(version: VersionRecord, options: { wakeOnly: boolean }) {
  if (version.state !== "published")
    throw conflict("version_not_published", `Version ${version.version} is ${version.state}`);
  if (!options.wakeOnly && version.approvalRequired && !version.approvedBy)
    throw conflict("approval_required", `Version ${version.version} awaits an operator's approval`);
}

/** Plans every page now (local runtime, tests, the bench); in AWS the planner function continues by cursor. */
export async function planAll(
  deps: Deps,
  ctx: RolloutContext,
  version: VersionRecord,
  options: Omit<PlanOptions, "cursor"> = {},
): Promise<PlanResult> {
  const total: PlanResult = { planned: 0, existing: 0, rescheduled: 0, skipped: 0, cursor: null };
  let cursor: string | null = null;
  do {
    const r: PlanResult = await planVersion(deps, ctx, version, { ...options, cursor });
    total.planned += r.planned;
    total.existing += r.existing;
    total.rescheduled += r.rescheduled;
    total.skipped += r.skipped;
    cursor = r.cursor;
  } while (cursor);
  return total;
}
