import type { Deps } from "@stackfleet/core/context";
import { METRICS } from "@stackfleet/core/metrics";
import { loadRolloutPolicy, planVersion } from "@stackfleet/core/rollout";
import type { RunScheduler } from "@stackfleet/core/schedule";
import { Halts, Version } from "@stackfleet/core/version";
import { z } from "zod";
import type { Planner } from "./api/env";

/**
 * What the planner function is invoked with: a version to plan, from the start (`cursor` null:
 * the API hands a whole plan over) or from where the previous invocation's budget ran out.
 */
export const PlanContinuation = z.object({
  stackfleetPlan: z.object({
    version: z.string().min(1).max(64),
    cursor: z.string().min(1).max(16_384).nullable(),
  }),
});
export type PlanContinuation = z.infer<typeof PlanContinuation>;

/** Core's metric hook, e.g. Powertools' embedded metrics in the planner function. */
type Metric = (name: string, value: number, unit: "Count" | "Milliseconds") => void;

/**
 * One link of the chain: plan until a minute before this invocation's end, then pass the cursor on.
 * Each link reports how far planning runs behind the version's grace end (0 before it): a plan
 * still scheduling runs long after customers' grace ended is what `PlanningLagAlarm` watches.
 */
export async function continuePlan(
  deps: Deps,
  rollout: Planner,
  event: PlanContinuation,
  remainingMs: () => number,
  metric?: Metric,
): Promise<void> {
  const version = await Version.get(deps, event.stackfleetPlan.version);
  // A halt (of this version or of everything) or a withdrawal since the last link ends the
  // chain; resuming plans again.
  if (version.state !== "published" || (await Halts.globalControl(deps)).halted) return;
  const ctx = {
    scheduler: rollout.scheduler,
    notifier: rollout.notifier,
    planConcurrency: rollout.planConcurrency,
    policy: await loadRolloutPolicy(deps),
  };
  const result = await planVersion(deps, ctx, version, {
    cursor: event.stackfleetPlan.cursor,
    budgetMs: Math.max(5_000, remainingMs() - 60_000),
  });
  if (result.cursor) await rollout.continuePlanning(version.version, result.cursor);
  const lagMs = deps.now().getTime() - Date.parse(version.graceEndsAt);
  metric?.(METRICS.planningLagSeconds, Math.max(0, Math.round(lagMs / 1000)), "Count");
}

/**
 * The planner function's entry: validates the payload (anything else is logged and dropped —
 * retrying a malformed event cannot help), then plans one link. A failure is thrown so Lambda's
 * asynchronous retries run the same link again.
 */
export async function handlePlanEvent(
  deps: Deps,
  rollout: Planner,
  event: unknown,
  options: {
    remainingMs: () => number;
    log: (message: string, fields: Record<string, unknown>) => void;
    metric?: Metric;
  },
): Promise<{ result: "planned" | "rejected" }> {
  const parsed = PlanContinuation.safeParse(event);
  if (!parsed.success) {
    options.log("planner input rejected", { issues: parsed.error.issues.map((i) => i.message) });
    return { result: "rejected" };
  }
  await continuePlan(deps, rollout, parsed.data, options.remainingMs, options.metric);
  return { result: "planned" };
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
