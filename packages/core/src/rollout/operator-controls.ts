import type { Actor, Deps } from "../context";
import { mapWithConcurrency } from "../schedule/pool";
import * as Halts from "../version/halts";
import * as Version from "../version/version";
import { DEFAULT_SCHEDULER_CONCURRENCY, type RolloutContext } from "./context";
import { type PlanResult, planVersion } from "./plan";

/**
 * Operator halts and resumes. The halt itself is the flag the executor re-reads inside its
 * claim transaction; deleting the waiting runs' schedules is only a courtesy (fewer pointless
 * invocations), done for as long as `budgetMs` allows. Runs stay `scheduled`, so resuming gives
 * every one of them a new schedule — by cursor, like planning, for fleets of any size.
 */
export interface OperatorOptions {
  /** Wall time for the courtesy deletions or the resume's first batch (default 20 s). */
  budgetMs?: number;
}

export async function haltRollout(
  deps: Deps,
  ctx: RolloutContext,
  version: string,
  actor: Actor,
  reason?: string,
  options: OperatorOptions = {},
) {
  const halted = await Halts.haltVersion(deps, version, actor, reason);
  await cancelSchedules(deps, ctx, version, Date.now() + (options.budgetMs ?? 20_000));
  return halted;
}

/** Lifts the halt, then wakes the waiting runs and — for the latest version — plans what is missing. Continue `plan.cursor` like a plan's. */
export async function resumeRollout(
  deps: Deps,
  ctx: RolloutContext,
  version: string,
  actor: Actor,
  reason?: string,
  options: OperatorOptions = {},
) {
  const resumed = await Halts.resumeVersion(deps, version, actor, reason);
  return { version: resumed, plan: await wake(deps, ctx, resumed, options) };
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

async function cancelSchedules(deps: Deps, ctx: RolloutContext, version: string, deadline: number) {
  let cursor: string | null = null;
  do {
    const page: { data: { scheduleName?: string | undefined }[]; cursor: string | null } =
      await deps.service.entities.run.query
        .byVersion({ version, state: "scheduled" })
        .go({ limit: 100, cursor, attributes: ["runId", "scheduleName"] });
    await mapWithConcurrency(page.data, ctx.schedulerConcurrency ?? DEFAULT_SCHEDULER_CONCURRENCY, async (run) => {
      // A courtesy (the executor re-checks the halt): one failed deletion must not stop the rest.
      if (run.scheduleName) await ctx.scheduler.cancel(run.scheduleName).catch(() => undefined);
    });
    cursor = page.cursor;
  } while (cursor && Date.now() < deadline);
}
