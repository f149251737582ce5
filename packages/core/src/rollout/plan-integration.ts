import type { Actor, Deps } from "../context";
import type { IntegrationRecord } from "../integration/integration";
import type { RunRecord } from "../run/run";
import type { VersionRecord } from "../version/version";
import { DEFAULT_SLOT_MINUTES, type RolloutContext } from "./context";
import { verdictFrom } from "./customer-grace";
import { eligibility } from "./eligibility";
import { createPlannedRuns, deliverCreated, isActive, runsFor } from "./planned-runs";
import { ensureSchedule } from "./reschedule";
import { ensureRolloutRecord, runTime, waveOf } from "./rollout-record";
import { runTimeFor } from "./window";

export interface PlanIntegrationOptions {
  actor: Actor;
  /** A fresh grace period (auto-update turned back on) or "now" (update now); default: the wave's time. */
  notBefore?: Date;
  /** "manual": the customer asked for it now; the wave gates do not hold it back. */
  manual?: boolean;
  action?: string;
  reason?: string;
}

/**
 * Plans one integration's run for a version, the way `planVersion` plans the fleet — used when a
 * customer's control makes an integration eligible again. Returns the run that will bring it
 * there (an already waiting one included), or undefined when none should.
 */
export async function planIntegration(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  version: VersionRecord,
  options: PlanIntegrationOptions,
): Promise<RunRecord | undefined> {
  if (!eligibility(integration, version).eligible) return undefined;
  const runs = await runsFor(deps, integration.integrationId, version.version);
  const active = runs.find(isActive);
  if (active) {
    if (active.state === "scheduled") await ensureSchedule(ctx, active);
    return active;
  }
  if (runs.some((r) => r.state === "succeeded")) return undefined;

  const now = deps.now();
  const attempt = (runs.at(-1)?.attempt ?? 0) + 1;
  const rollout = await ensureRolloutRecord(deps, version, ctx.policy, ctx.notifier);
  const wave = waveOf(rollout.policy, version.version, integration.integrationId);
  const graceEnd = Date.parse((await verdictFrom(deps, integration.currentVersion, version)).graceEndsAt);
  const at = options.notBefore
    ? options.manual
      ? new Date(Math.max(options.notBefore.getTime(), now.getTime()))
      : runTimeFor(
          integration.maintenanceWindow,
          new Date(Math.max(options.notBefore.getTime(), now.getTime(), graceEnd)),
        )
    : runTime({
        rollout,
        graceEnd: new Date(graceEnd),
        wave,
        index: 0,
        window: integration.maintenanceWindow,
        now,
        slotMinutes: ctx.slotMinutes ?? DEFAULT_SLOT_MINUTES,
      });
  const created = await createPlannedRuns(deps, version, [
    {
      integration,
      wave: options.manual ? "manual" : wave,
      at,
      attempt,
      kind: "run",
      action: options.action ?? "update.scheduled",
      actor: options.actor,
      reason: options.reason,
      countsTowardWave: attempt === 1,
    },
  ]);
  const run = created[0]?.run ?? (await runsFor(deps, integration.integrationId, version.version)).find(isActive);
  if (run?.state === "scheduled") await ensureSchedule(ctx, run);
  await deliverCreated(deps, ctx, created);
  return run;
}
