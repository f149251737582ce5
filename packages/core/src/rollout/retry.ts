import type { Actor, Deps } from "../context";
import type { RunRecord } from "../run/run";
import { get as getVersion } from "../version/version";
import type { RolloutContext } from "./context";
import { createPlannedRuns, deliverCreated } from "./planned-runs";
import { ensureSchedule } from "./reschedule";
import { plannedRunId } from "./run-id";

/**
 * The next attempt after a retryable failure: a new run (attempt + 1, derived id, so planning
 * the same retry twice creates one) in the same wave, announced to the customer, woken by a
 * `retry` schedule at `at`. The executor re-checks everything when it fires, as for any run.
 */
export async function planRetry(deps: Deps, ctx: RolloutContext, run: RunRecord, at: Date, reason: string, actor: Actor = "system:executor"): Promise<RunRecord> {
  const version = await getVersion(deps, run.version);
  const attempt = run.attempt + 1;
  const created = await createPlannedRuns(deps, version, [
    {
      integration: { integrationId: run.integrationId, tenantId: run.tenantId },
      wave: (run.wave as "canary" | "main" | "manual" | undefined) ?? "main",
      at,
      attempt,
      kind: "retry",
      action: "update.retry-planned",
      actor,
      reason,
      countsTowardWave: false,
    },
  ]);
  const next = created[0]?.run ?? (await deps.service.entities.run.get({ runId: plannedRunId(run.version, run.integrationId, attempt) }).go()).data;
  if (!next) throw new Error(`retry run of ${run.runId} vanished`);
  if (next.state === "scheduled") await ensureSchedule(ctx, next);
  await deliverCreated(deps, ctx, created);
  return next;
}
