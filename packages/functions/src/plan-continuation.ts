import type { Deps } from "@stackfleet/core/context";
import { loadRolloutPolicy, planVersion } from "@stackfleet/core/rollout";
import type { RunScheduler } from "@stackfleet/core/schedule";
import { Halts, Version } from "@stackfleet/core/version";
import type { Planner } from "./api/env";

/** A self-invocation that continues a rollout plan where the previous invocation's budget ran out. */
export interface PlanContinuation {
  stackfleetPlan: { version: string; cursor: string };
}

export const isPlanContinuation = (event: unknown): event is PlanContinuation =>
  typeof (event as PlanContinuation | undefined)?.stackfleetPlan?.cursor === "string";

/** One link of the chain: plan until a minute before this invocation's end, then pass the cursor on. */
export async function continuePlan(
  deps: Deps,
  rollout: Planner,
  event: PlanContinuation,
  remainingMs: () => number,
): Promise<void> {
  const version = await Version.get(deps, event.stackfleetPlan.version);
  // A halt (of this version or of everything) or a withdrawal since the last link ends the
  // chain; resuming plans again.
  if (version.state !== "published" || (await Halts.globalControl(deps)).halted) return;
  const ctx = { scheduler: rollout.scheduler, notifier: rollout.notifier, policy: await loadRolloutPolicy(deps) };
  const result = await planVersion(deps, ctx, version, {
    cursor: event.stackfleetPlan.cursor,
    budgetMs: Math.max(5_000, remainingMs() - 60_000),
  });
  if (result.cursor) await rollout.continuePlanning(version.version, result.cursor);
}

/**
 * Rollout dependencies for the local runtime and tests: a plan that outlives the request's
 * budget continues in the background of the same process, one budget at a time. `idle()`
 * resolves when no continuation is running (tests, shutdown).
 */
export function rolloutInProcess(
  deps: Deps,
  options: {
    scheduler: RunScheduler;
    notifier: Planner["notifier"];
    planBudgetMs?: number;
    onError?: (error: unknown) => void;
  },
): Planner & { idle(): Promise<void> } {
  const running = new Set<Promise<void>>();
  const budgetMs = options.planBudgetMs ?? 20_000;
  const rollout: Planner & { idle(): Promise<void> } = {
    scheduler: options.scheduler,
    notifier: options.notifier,
    planBudgetMs: budgetMs,
    async continuePlanning(version, cursor) {
      const link = continuePlan(deps, rollout, { stackfleetPlan: { version, cursor } }, () => budgetMs + 60_000).catch(
        (error: unknown) => {
          if (options.onError) options.onError(error);
          else throw error;
        },
      );
      running.add(link);
      void link.finally(() => running.delete(link));
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
  return rollout;
}
