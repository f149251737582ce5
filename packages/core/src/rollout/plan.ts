import type { Actor, Deps } from "../context";
import { conflict, StackfleetError } from "../error";
import type { IntegrationRecord } from "../integration/integration";
import { PLAN_SHARDS } from "../integration/integration.entity";
import type { RunRecord } from "../run/run";
import { plannedRunId } from "../run/run-id";
import { mapWithConcurrency } from "../schedule/pool";
import type { VersionRecord } from "../version/version";
import { DEFAULT_SCHEDULER_CONCURRENCY, DEFAULT_SLOT_MINUTES, type RolloutContext } from "./context";
import { customerVerdicts } from "./customer-grace";
import { eligibility } from "./eligibility";
import { planIntegration } from "./plan-integration";
import { createPlannedRuns, deliverCreated, RUNS_PER_TRANSACTION, type RunPlan } from "./planned-runs";
import { ensureSchedule, reschedule } from "./reschedule";
import { ensureRolloutRecord, type RolloutRecord, runTime, waveOf } from "./rollout-record";
import { runTimeFor } from "./window";

export interface PlanOptions {
  /** Where the previous invocation stopped (`PlanResult.cursor`); absent: from the start. */
  cursor?: string | null;
  /** Stop after the page that crosses this much wall time and return a cursor. */
  budgetMs?: number;
  /** Integrations read per GSI page (default 98: two full transactions, within BatchGetItem's 100). */
  pageSize?: number;
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
  shard: number;
  page: string | null;
  index: { canary: number; main: number };
  /** Set when a wake phase went first: its runs are due now and must not be woken twice. */
  woken?: boolean;
};
const encode = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString("base64url");
const decode = (s: string): Cursor => JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as Cursor;

const PLANNER: Actor = "system:planner";

/**
 * Plans a published version's rollout: one run and one one-shot schedule per eligible
 * integration. Reads only the `eligible` planning pool (GSI `byPlanState`), shard by shard and
 * page by page, never the table. Idempotent: run ids are derived from (version, integration,
 * attempt) and created conditionally, schedule names from run ids, so a second plan creates
 * nothing and only re-asserts the schedules of runs still waiting. Stops at a page boundary once
 * `budgetMs` is spent and returns a cursor; the caller continues in a new invocation.
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
  const start: Cursor = { shard: 0, page: null, index: { canary: 0, main: 0 } };
  let cursor: Cursor = options.cursor
    ? decode(options.cursor)
    : options.wake
      ? { ...start, wake: { page: null, then: options.wakeOnly ? "stop" : "plan" } }
      : start;
  const result: PlanResult = { planned: 0, existing: 0, rescheduled: 0, skipped: 0, cursor: null };
  const outOfTime = () => options.budgetMs !== undefined && Date.now() - started >= options.budgetMs;

  while (cursor.wake) {
    const page = await deps.service.entities.run.query
      .byVersion({ version: version.version, state: "scheduled" })
      .go({ limit: options.pageSize ?? 2 * RUNS_PER_TRANSACTION, cursor: cursor.wake.page });
    result.rescheduled += await wakePage(deps, ctx, page.data);
    if (page.cursor) cursor = { ...cursor, wake: { ...cursor.wake, page: page.cursor } };
    else if (cursor.wake.then === "stop") return result;
    else cursor = { ...start, woken: true };
    if (outOfTime()) return { ...result, cursor: encode(cursor) };
  }

  while (cursor.shard < PLAN_SHARDS) {
    const page = await deps.service.entities.integration.query
      .byPlanState({ planState: "eligible", planShard: cursor.shard })
      .go({ limit: options.pageSize ?? 2 * RUNS_PER_TRANSACTION, cursor: cursor.page });
    await planPage(deps, ctx, version, rollout, page.data, cursor.index, result);
    cursor = page.cursor ? { ...cursor, page: page.cursor } : { ...cursor, shard: cursor.shard + 1, page: null };
    if (cursor.shard < PLAN_SHARDS && outOfTime()) return { ...result, cursor: encode(cursor) };
  }
  return result;
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

async function planPage(
  deps: Deps,
  ctx: RolloutContext,
  version: VersionRecord,
  rollout: RolloutRecord,
  integrations: IntegrationRecord[],
  index: Cursor["index"],
  result: PlanResult,
) {
  const now = deps.now();
  const verdictFor = customerVerdicts(deps, version);
  const candidates: { integration: IntegrationRecord; plan: RunPlan }[] = [];
  for (const integration of integrations) {
    if (!eligibility(integration, version).eligible) {
      result.skipped++;
      continue;
    }
    const wave = waveOf(rollout.policy, version.version, integration.integrationId);
    // Each customer's grace runs from what it has installed: a skipped broadening version
    // makes this one broadening for them, with the longer grace.
    const { graceEndsAt } = await verdictFor(integration.currentVersion);
    const at = runTime({
      rollout,
      graceEnd: new Date(graceEndsAt),
      wave,
      index: index[wave]++,
      window: integration.maintenanceWindow,
      now,
      slotMinutes: ctx.slotMinutes ?? DEFAULT_SLOT_MINUTES,
    });
    candidates.push({
      integration,
      plan: {
        integration,
        wave,
        at,
        attempt: 1,
        kind: "run",
        action: "update.scheduled",
        actor: PLANNER,
        countsTowardWave: true,
      },
    });
  }
  if (candidates.length === 0) return;

  const ids = candidates.map((c) => ({ runId: plannedRunId(version.version, c.integration.integrationId, 1) }));
  const found = await getRuns(deps, ids);
  const fresh: RunPlan[] = [];
  const waiting: { run: RunRecord; integration: IntegrationRecord }[] = [];
  const replan: IntegrationRecord[] = [];
  candidates.forEach((c, i) => {
    const run = found.get(ids[i]!.runId);
    if (!run) fresh.push(c.plan);
    else if (run.state === "scheduled") waiting.push({ run, integration: c.integration });
    // A cancelled first attempt (the customer skipped, then un-skipped) needs a later one.
    else if (run.state === "cancelled") replan.push(c.integration);
  });
  result.existing += candidates.length - fresh.length;

  const created = await createPlannedRuns(deps, version, fresh);
  result.planned += created.length;
  const concurrency = ctx.schedulerConcurrency ?? DEFAULT_SCHEDULER_CONCURRENCY;
  await mapWithConcurrency(created, concurrency, ({ run }) => ensureSchedule(ctx, run));
  // Re-planning only re-asserts what waits (idempotent); waking runs that fired while halted is
  // resume's job (`options.wake`), and deferred runs carry their own new time.
  await mapWithConcurrency(waiting, concurrency, ({ run }) => ensureSchedule(ctx, run));
  for (const integration of replan) await planIntegration(deps, ctx, integration, version, { actor: PLANNER });
  await deliverCreated(deps, ctx, created);
}

async function getRuns(deps: Deps, keys: { runId: string }[]): Promise<Map<string, RunRecord>> {
  const out = new Map<string, RunRecord>();
  let pending = keys;
  while (pending.length > 0) {
    const { data, unprocessed } = await deps.service.entities.run.get(pending).go();
    for (const run of data) out.set(run.runId, run);
    pending = unprocessed as { runId: string }[];
  }
  return out;
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
