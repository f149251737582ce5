import { Outbox } from "@stackfleet/core/notify";
import { loadRolloutPolicy, type PlanResult, planVersion, type RolloutContext } from "@stackfleet/core/rollout";
import type { VersionRecord } from "@stackfleet/core/version/version";
import type { Context } from "hono";
import type { ApiDeps, ApiEnv } from "./env";

/** The rollout context for this request: the deployment's scheduler and notifier, the stored policy. */
export async function rolloutContext(deps: ApiDeps): Promise<RolloutContext> {
  return { scheduler: deps.rollout.scheduler, notifier: deps.rollout.notifier, policy: await loadRolloutPolicy(deps) };
}

/** Plans what fits in the request's budget and hands the rest to `continuePlanning`. */
export async function startPlanning(
  deps: ApiDeps,
  version: VersionRecord,
): Promise<(Omit<PlanResult, "cursor"> & { continuing: boolean }) | null> {
  // Published before the updater stage exists: nothing to plan with yet (POST /v1/rollouts/{v}/plan later).
  if (deps.rollout.scheduler.configured === false) return null;
  const { cursor, ...result } = await planVersion(deps, await rolloutContext(deps), version, {
    budgetMs: deps.rollout.planBudgetMs,
  });
  if (cursor) await deps.rollout.continuePlanning(version.version, cursor);
  return { ...result, continuing: cursor !== null };
}

/**
 * Delivers the integration's notifications the request just wrote (core writes them with the
 * change; this is the outbox's "right after the write"). A delivery failure is not the
 * customer's request failing: the event is recorded, and the sweeper delivers it later.
 */
export async function deliverNotifications(c: Context<ApiEnv>, integrationId: string): Promise<void> {
  const deps = c.get("deps");
  try {
    await Outbox.sweep(deps, deps.rollout.notifier, { integrationId }, 20);
  } catch (error) {
    console.warn(
      JSON.stringify({
        level: "warn",
        message: "notification delivery deferred",
        integrationId,
        error: (error as Error).message,
      }),
    );
  }
}
