import type { Actor, Deps } from "../context";
import { pageByVersion } from "../run/queries";
import { mapWithConcurrency } from "../schedule/pool";
import * as Halts from "../version/halts";
import { DEFAULT_SCHEDULER_CONCURRENCY, type RolloutContext } from "./context";

// Apart from operator-controls.ts (resume needs planning) so the executor's outcome tally can halt
// a rollout without pulling planning, and with it the changelog engine, into its bundle.

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

export async function cancelSchedules(deps: Deps, ctx: RolloutContext, version: string, deadline: number) {
  let cursor: string | null = null;
  do {
    const page: { data: { scheduleName?: string }[]; cursor: string | null } = await pageByVersion(
      deps,
      version,
      "scheduled",
      { limit: 100, cursor, attributes: ["runId", "scheduleName"] },
    );
    await mapWithConcurrency(page.data, ctx.schedulerConcurrency ?? DEFAULT_SCHEDULER_CONCURRENCY, async (run) => {
      // A courtesy (the executor re-checks the halt): one failed deletion must not stop the rest.
      if (run.scheduleName) await ctx.scheduler.cancel(run.scheduleName).catch(() => undefined);
    });
    cursor = page.cursor;
  } while (cursor && Date.now() < deadline);
}
