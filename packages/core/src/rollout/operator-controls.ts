import type { Actor, Deps } from "../context";
import { isConditionFailure } from "../db/transaction";
import { conflict } from "../error";
import { append } from "../event/event";
import { Outbox } from "../notify";
import { isRunConflict } from "../run/conflicts";
import { pageByVersion } from "../run/queries";
import * as Run from "../run/run";
import { TERMINAL_STATES } from "../run/transitions";
import * as Halts from "../version/halts";
import * as Version from "../version/version";
import type { RolloutContext } from "./context";
import { cancelSchedules, type OperatorOptions } from "./halt-rollout";
import { recordRunOutcome } from "./outcome";
import { type PlanResult, planVersion } from "./plan";

export { cancelSchedules, haltRollout, type OperatorOptions } from "./halt-rollout";

/** Lifts the halt, then wakes the waiting runs and — for the latest version — plans what is missing. Continue `plan.cursor` like a plan's. */
export async function resumeRollout(
  deps: Deps,
  ctx: RolloutContext,
  version: string,
  actor: Actor,
  reason?: string,
  options: OperatorOptions = {},
) {
  // Resuming accepts the failures so far: the tolerance counts the ones after them (first, so a
  // crash in between leaves the version halted, never resumed with its runs held for ever).
  await acceptFailures(deps, version);
  const resumed = await Halts.resumeVersion(deps, version, actor, reason);
  return { version: resumed, plan: await wake(deps, ctx, resumed, options) };
}

/**
 * Each wave's `accepted` set to its `failed` count, conditional on the count read (a failure
 * recorded meanwhile is read again): a version that halted itself past its tolerance goes on
 * when resumed, and halts again only if the tolerance is passed anew.
 */
async function acceptFailures(deps: Deps, version: string) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const { data: tallies } = await deps.service.entities.waveTally.query.byVersion({ version }).go();
    try {
      for (const t of tallies.filter((t) => (t.failed ?? 0) !== (t.accepted ?? 0)))
        await deps.service.entities.waveTally
          .patch({ version, wave: t.wave })
          .set({ accepted: t.failed ?? 0 })
          .where(({ failed }, { eq }) => eq(failed, t.failed ?? 0))
          .go();
      return;
    } catch (error) {
      if (!isConditionFailure(error) || attempt === 2) throw error;
    }
  }
}

/** The global kill switch, with the same courtesy for every published version. */
export async function haltEverything(
  deps: Deps,
  ctx: RolloutContext,
  actor: Actor,
  reason?: string,
  options: OperatorOptions = {},
) {
  const control = await Halts.setGlobalHalt(deps, true, actor, reason);
  const deadline = Date.now() + (options.budgetMs ?? 20_000);
  for (const v of await publishedVersions(deps)) await cancelSchedules(deps, ctx, v.version, deadline);
  return control;
}

export async function resumeEverything(
  deps: Deps,
  ctx: RolloutContext,
  actor: Actor,
  reason?: string,
  options: OperatorOptions = {},
) {
  const control = await Halts.setGlobalHalt(deps, false, actor, reason);
  const plans: { version: string; plan: PlanResult }[] = [];
  for (const v of await publishedVersions(deps))
    plans.push({ version: v.version, plan: await wake(deps, ctx, v, options) });
  return { control, plans };
}

/** Only the latest published version is planned anew; older ones just get their waiting runs back. */
async function wake(
  deps: Deps,
  ctx: RolloutContext,
  version: Version.VersionRecord,
  options: OperatorOptions,
): Promise<PlanResult> {
  const latest = await Version.latestPublished(deps);
  const approved = !version.approvalRequired || version.approvedBy !== undefined;
  return planVersion(deps, ctx, version, {
    wake: true,
    wakeOnly: latest?.version !== version.version || !approved,
    budgetMs: options.budgetMs ?? 20_000,
  });
}

async function publishedVersions(deps: Deps): Promise<Version.VersionRecord[]> {
  const out: Version.VersionRecord[] = [];
  let cursor: string | null = null;
  do {
    const page: Awaited<ReturnType<typeof Version.list>> = await Version.list(deps, { limit: 100, cursor });
    out.push(...page.items.filter((v) => v.state === "published"));
    cursor = page.cursor;
  } while (cursor);
  return out;
}

export interface StopResult {
  version: Version.VersionRecord;
  /** Waiting runs, and claimed ones that had not reached CloudFormation, cancelled now (each told to its customer). */
  cancelled: number;
  /** Runs whose change set CloudFormation is executing: they finish, and their outcome is recorded. */
  finishing: number;
  /** The budget ran out before every waiting run was cancelled: stopping again continues (it is idempotent). */
  more: boolean;
}

const STOPPED = "rollout stopped by an operator";

/**
 * StackSets' stop operation for one version. The halt comes first: from that write on no claim
 * succeeds and no change set is executed (both check it in their transaction). Then every waiting
 * run, and every claimed run that has not reached CloudFormation, is cancelled with its schedule;
 * a change set already executing is left to finish, its outcome recorded as usual, and the halt
 * holds any retry it plans.
 */
export async function stopRollout(
  deps: Deps,
  ctx: RolloutContext,
  version: string,
  actor: Actor,
  reason = STOPPED,
  options: OperatorOptions = {},
): Promise<StopResult> {
  const current = await Version.get(deps, version);
  const halted = current.state === "withdrawn" ? current : await Halts.haltVersion(deps, version, actor, reason);
  const deadline = Date.now() + (options.budgetMs ?? 20_000);
  let cancelled = 0;
  let more = false;
  for (const state of ["scheduled", "claimed"] as const) {
    let cursor: string | null = null;
    do {
      const page: { data: Run.RunRecord[]; cursor: string | null } = await pageByVersion(deps, version, state, {
        limit: 100,
        cursor,
      });
      for (const run of page.data) if (await cancelOne(deps, ctx, run, actor, reason)) cancelled++;
      cursor = page.cursor;
    } while (cursor && Date.now() < deadline);
    more ||= cursor !== null;
  }
  let finishing = 0;
  for (const state of ["executing", "watching"] as const)
    finishing += (await Run.byVersion(deps, version, state)).length;
  await append(deps, {
    actor,
    action: "rollout.stopped",
    reason,
    version,
    data: { cancelled, finishing, more },
  });
  return { version: halted, cancelled, finishing, more };
}

/**
 * One run, stopped by an operator: waiting or claimed → cancelled (the customer is told once); a
 * run whose change set is executing cannot be taken back, so it is a conflict, and a final run
 * stays as it ended.
 */
export async function cancelRun(
  deps: Deps,
  ctx: RolloutContext,
  runId: string,
  actor: Actor,
  reason = "cancelled by an operator",
): Promise<Run.RunRecord> {
  const run = await Run.get(deps, runId);
  if (TERMINAL_STATES.includes(run.state)) throw conflict("run_finished", `Run ${runId} already ended ${run.state}`);
  if (run.state === "executing" || run.state === "watching")
    throw conflict(
      "run_executing",
      `Run ${runId} is executing its change set: it finishes and its outcome is recorded; halt the version to hold a retry`,
    );
  if (!(await cancelOne(deps, ctx, run, actor, reason)))
    throw conflict("run_state_changed", `Run ${runId} changed while it was being cancelled; look again`);
  return Run.get(deps, runId);
}

/**
 * scheduled or claimed → cancelled, conditional on the run as read: a claim or a step towards
 * execution that lands first wins, and a claimed run's executor loses its next conditional write
 * before anything reaches CloudFormation. False when the run moved meanwhile.
 */
async function cancelOne(deps: Deps, ctx: RolloutContext, run: Run.RunRecord, actor: Actor, reason: string) {
  if (run.state !== "scheduled" && run.state !== "claimed") return false;
  let done: Run.RunRecord;
  try {
    done = await Run.transition(deps, {
      run,
      to: "cancelled",
      actor,
      action: "run.cancelled",
      reason,
      notify: true,
      set: { reason, outcome: "cancelled", finishedAt: deps.now().toISOString() },
    });
  } catch (e) {
    if (isRunConflict(e)) return false;
    throw e;
  }
  // The tally first: the canary gate and the rollout's progress must not depend on Scheduler.
  await recordRunOutcome(deps, ctx, done, "finished", reason);
  // A courtesy: a schedule that fires anyway finds the run cancelled.
  if (run.scheduleName) await ctx.scheduler.cancel(run.scheduleName).catch(() => undefined);
  if (ctx.notifier) await Outbox.sweep(deps, ctx.notifier, { integrationId: run.integrationId }).catch(() => undefined);
  return true;
}
