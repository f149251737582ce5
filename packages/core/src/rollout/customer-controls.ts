import semver from "semver";
import type { Actor, Deps } from "../context";
import { conflict, isStackfleetError, notFound } from "../error";
import {
  type IntegrationRecord,
  remove,
  setAutoUpdate as setTableAutoUpdate,
  update,
} from "../integration/integration";
import { type RunRecord, transition } from "../run/run";
import { HOUR_MS } from "../time";
import * as Version from "../version/version";
import type { RolloutContext } from "./context";
import { DEFAULT_SLOT_MINUTES } from "./context";
import { verdictFrom } from "./customer-grace";
import { eligibility } from "./eligibility";
import { recordRunOutcome } from "./outcome";
import { planIntegration } from "./plan-integration";
import { isActive, runsFor } from "./planned-runs";
import { reschedule } from "./reschedule";
import { ensureRolloutRecord, runTime, waveOf } from "./rollout-record";
import { MaintenanceWindow, runTimeFor } from "./window";

/**
 * The customer's controls. Each writes its change with its (customer-visible) event, then
 * brings the schedules in line: cancelled runs lose their schedules, re-planned ones get new
 * ones. The executor re-checks the table when a schedule fires anyway, so a schedule that
 * escapes deletion still changes nothing.
 */

/** A removed integration takes no more customer controls: it gets no updates at all. */
function assertNotRemoved(integration: IntegrationRecord) {
  if (integration.status === "removed")
    throw conflict("integration_removed", `Integration ${integration.integrationId} is removed`);
}

export async function skipVersion(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  versionName: string,
  actor: Actor,
) {
  const version = await Version.get(deps, versionName);
  assertNotRemoved(integration);
  if (
    integration.currentVersion &&
    semver.valid(integration.currentVersion) &&
    !semver.gt(version.version, integration.currentVersion)
  ) {
    throw conflict(
      "version_not_newer",
      `The integration is already at ${integration.currentVersion}; only newer versions can be skipped`,
    );
  }
  const skipped = integration.skippedVersions ?? [];
  if (skipped.includes(version.version)) return { integration, cancelled: 0 };
  const updated = await update(
    deps,
    integration,
    { skippedVersions: [...skipped, version.version] },
    { actor, action: "version.skipped", version: version.version, notify: true },
  );
  const cancelled = await cancelPendingRuns(
    deps,
    ctx,
    updated,
    actor,
    `the customer skipped version ${version.version}`,
    version.version,
  );
  return { integration: updated, cancelled };
}

export async function unskipVersion(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  versionName: string,
  actor: Actor,
) {
  assertNotRemoved(integration);
  const skipped = integration.skippedVersions ?? [];
  if (!skipped.includes(versionName)) throw notFound("skip_not_found", `Version ${versionName} is not skipped`);
  const rest = skipped.filter((v) => v !== versionName);
  const updated = await update(
    deps,
    integration,
    { skippedVersions: rest.length > 0 ? rest : undefined },
    { actor, action: "version.unskipped", version: versionName, notify: true },
  );
  return { integration: updated, planned: await planLatest(deps, ctx, updated, actor) };
}

/** Auto-update off cancels what waits; on plans the latest version after a fresh grace period. */
export async function setAutoUpdate(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  enabled: boolean,
  actor: Actor,
  reason?: string,
) {
  const updated = await setTableAutoUpdate(deps, integration, enabled, actor, reason);
  if (updated === integration) return { integration: updated };
  if (!enabled)
    return {
      integration: updated,
      cancelled: await cancelPendingRuns(deps, ctx, updated, actor, "auto-update turned off"),
    };
  const notBefore = new Date(deps.now().getTime() + ctx.policy.graceHours * HOUR_MS);
  return { integration: updated, planned: await planLatest(deps, ctx, updated, actor, notBefore) };
}

export async function removeIntegration(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  actor: Actor,
  reason?: string,
) {
  const removed = await remove(deps, integration, actor, reason);
  await cancelPendingRuns(deps, ctx, removed, actor, "integration removed");
  return removed;
}

async function planLatest(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  actor: Actor,
  notBefore?: Date,
) {
  const latest = await Version.latestPublished(deps);
  if (!latest || (latest.approvalRequired && !latest.approvedBy)) return undefined;
  return planIntegration(deps, ctx, integration, latest, { actor, notBefore });
}

/**
 * "Update now": a run at once for a version whose grace period is over (the signed manifest's
 * not-before is the grace end, and the executor refuses earlier), if the integration is still
 * eligible. A waiting run is moved to now; otherwise a new attempt is planned.
 */
export async function updateNow(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  versionName: string,
  actor: Actor,
): Promise<RunRecord> {
  const version = await Version.get(deps, versionName);
  const verdict = eligibility(integration, version);
  if (!verdict.eligible)
    throw conflict("not_eligible", `Cannot update to ${version.version}: ${verdict.reason}`, { state: verdict.state });
  const now = deps.now();
  // The customer's own grace: from what it runs, not from the previous published version.
  const { graceEndsAt } = await verdictFrom(deps, integration.currentVersion, version);
  if (now.getTime() < Date.parse(graceEndsAt)) {
    throw conflict("in_grace_period", `Version ${version.version} is in its grace period until ${graceEndsAt}`, {
      graceEndsAt,
    });
  }
  const active = (await runsFor(deps, integration.integrationId, version.version)).find(isActive);
  if (active && active.state !== "scheduled")
    throw conflict("update_in_progress", `An update to ${version.version} is already ${active.state}`);
  const at = firesAt(now);
  if (active)
    return reschedule(deps, ctx, active, { at, actor, action: "update.requested", notify: true, wave: "manual" });
  const run = await planIntegration(deps, ctx, integration, version, {
    actor,
    manual: true,
    notBefore: at,
    action: "update.requested",
  });
  if (!run) throw conflict("not_eligible", `Cannot update to ${version.version}`);
  return run;
}

/**
 * When "now" really fires: Scheduler is never asked for less than a minute ahead (the adapter's
 * minimum lead) and fires on whole seconds, so that is the time the customer is told.
 */
export const UPDATE_NOW_LEAD_MS = 60_000;
const firesAt = (now: Date) => new Date(Math.ceil((now.getTime() + UPDATE_NOW_LEAD_MS) / 1000) * 1000);

/** Sets (or, with null, clears) the window and moves waiting runs to its first opening. */
export async function setMaintenanceWindow(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  input: MaintenanceWindow | null,
  actor: Actor,
) {
  assertNotRemoved(integration);
  const window = input === null ? undefined : MaintenanceWindow.parse(input);
  const updated = await update(
    deps,
    integration,
    { maintenanceWindow: window },
    {
      actor,
      action: window ? "maintenance-window.set" : "maintenance-window.cleared",
      notify: true,
      data: window ? { maintenanceWindow: window } : undefined,
    },
  );
  const now = deps.now();
  const waiting = (await pendingRuns(deps, integration.integrationId)).filter((r) => r.wave !== "manual");
  const moved: RunRecord[] = [];
  for (const run of waiting) {
    const at = await baseTimeFor(deps, ctx, updated, run, now);
    if (at.getTime() === Date.parse(run.scheduledFor)) continue;
    moved.push(
      await reschedule(deps, ctx, run, {
        at,
        actor,
        action: "update.rescheduled",
        reason: "maintenance window changed",
        notify: true,
      }),
    );
  }
  return { integration: updated, moved };
}

/** Where a waiting run belongs under the integration's (new) window: its wave's slot for a first attempt, its own time for a retry. */
async function baseTimeFor(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  run: RunRecord,
  now: Date,
): Promise<Date> {
  if (run.attempt > 1 || (run.wave !== "canary" && run.wave !== "main")) {
    return runTimeFor(integration.maintenanceWindow, new Date(Math.max(Date.parse(run.scheduledFor), now.getTime())));
  }
  const version = await Version.get(deps, run.version);
  const rollout = await ensureRolloutRecord(deps, version, ctx.policy);
  const wave = waveOf(rollout.policy, version.version, integration.integrationId);
  return runTime({
    rollout,
    graceEnd: new Date(version.graceEndsAt),
    wave,
    index: 0,
    window: integration.maintenanceWindow,
    now,
    slotMinutes: ctx.slotMinutes ?? DEFAULT_SLOT_MINUTES,
  });
}

async function pendingRuns(deps: Deps, integrationId: string): Promise<RunRecord[]> {
  const { data } = await deps.service.entities.run.query
    .activity({ integrationId })
    .where(({ state }, { eq }) => eq(state, "scheduled"))
    .go({ pages: "all" });
  return data;
}

/**
 * Cancels the integration's waiting runs (of one version, or all), each with its customer
 * notification, deletes their schedules and counts them as finished in their waves. A run the
 * executor claimed meanwhile is left to it: its own re-check sees the change.
 */
export async function cancelPendingRuns(
  deps: Deps,
  ctx: RolloutContext,
  integration: IntegrationRecord,
  actor: Actor,
  reason: string,
  version?: string,
): Promise<number> {
  let cancelled = 0;
  for (const run of await pendingRuns(deps, integration.integrationId)) {
    if (version && run.version !== version) continue;
    try {
      const done = await transition(deps, {
        run,
        to: "cancelled",
        actor,
        action: "update.cancelled",
        reason,
        notify: true,
        set: { reason, finishedAt: deps.now().toISOString() },
      });
      cancelled++;
      // The bookkeeping first: the tally the canary gate reads must not depend on Scheduler.
      await recordRunOutcome(deps, ctx, done, "finished", reason);
      // Deleting the schedule is a courtesy: a run that fires anyway finds itself cancelled.
      if (run.scheduleName) await ctx.scheduler.cancel(run.scheduleName).catch(() => undefined);
    } catch (error) {
      if (!isStackfleetError(error, "conflict")) throw error;
    }
  }
  return cancelled;
}
