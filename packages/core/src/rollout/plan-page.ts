import type { Actor, Deps } from "../context";
import type { IntegrationRecord } from "../integration/integration";
import type { RunRecord } from "../run/run";
import { plannedRunId } from "../run/run-id";
import { mapWithConcurrency } from "../schedule/pool";
import type { VersionRecord } from "../version/version";
import { DEFAULT_SCHEDULER_CONCURRENCY, DEFAULT_SLOT_MINUTES, type RolloutContext } from "./context";
import type { customerVerdicts } from "./customer-grace";
import { eligibility } from "./eligibility";
import { planIntegration } from "./plan-integration";
import { createPlannedRuns, deliverCreated, type RunPlan } from "./planned-runs";
import { ensureSchedule } from "./reschedule";
import { type RolloutRecord, runTime, waveOf } from "./rollout-record";

export const PLANNER: Actor = "system:planner";

/** Counters one plan call shares between its workers (JavaScript runs one of them at a time). */
export interface PlanTally {
  planned: number;
  existing: number;
  skipped: number;
}

/** What every page of one plan call shares: the rollout, the verdict memo, the wave slot counters. */
export interface PageContext {
  version: VersionRecord;
  rollout: RolloutRecord;
  verdictFor: ReturnType<typeof customerVerdicts>;
  /** Runs given a slot so far, per wave; shared so parallel shards never take the same slot. */
  index: { canary: number; main: number };
}

/**
 * Plans one page of the eligible pool: a run (with its notification, in transactions of 49) and
 * a schedule per eligible integration without one, the schedule re-asserted for one still
 * waiting, and a later attempt for one whose first was cancelled.
 */
export async function planPage(
  deps: Deps,
  ctx: RolloutContext,
  page: PageContext,
  integrations: IntegrationRecord[],
  result: PlanTally,
) {
  const { version, rollout } = page;
  const now = deps.now();
  const candidates: { integration: IntegrationRecord; plan: RunPlan }[] = [];
  for (const integration of integrations) {
    if (!eligibility(integration, version).eligible) {
      result.skipped++;
      continue;
    }
    const wave = waveOf(rollout.policy, version.version, integration.integrationId);
    // Each customer's grace runs from what it has installed: a skipped broadening version
    // makes this one broadening for them, with the longer grace.
    const { graceEndsAt } = await page.verdictFor(integration.currentVersion);
    const at = runTime({
      rollout,
      graceEnd: new Date(graceEndsAt),
      wave,
      index: page.index[wave]++,
      window: integration.maintenanceWindow,
      now,
      slotMinutes: ctx.slotMinutes ?? DEFAULT_SLOT_MINUTES,
    });
    const plan: RunPlan = {
      integration,
      wave,
      at,
      attempt: 1,
      kind: "run",
      action: "update.scheduled",
      actor: PLANNER,
      countsTowardWave: true,
      sizeShard: integration.planShard,
    };
    candidates.push({ integration, plan });
  }
  if (candidates.length === 0) return;

  const ids = candidates.map((c) => ({ runId: plannedRunId(version.version, c.integration.integrationId, 1) }));
  const found = await getRuns(deps, ids);
  const fresh: RunPlan[] = [];
  const waiting: RunRecord[] = [];
  const replan: IntegrationRecord[] = [];
  candidates.forEach((c, i) => {
    const run = found.get(ids[i]!.runId);
    if (!run) fresh.push(c.plan);
    else if (run.state === "scheduled") waiting.push(run);
    // A cancelled first attempt (the customer skipped, then un-skipped) needs a later one.
    else if (run.state === "cancelled") replan.push(c.integration);
  });
  result.existing += candidates.length - fresh.length;

  const created = await createPlannedRuns(deps, version, fresh);
  result.planned += created.length;
  const concurrency = ctx.schedulerConcurrency ?? DEFAULT_SCHEDULER_CONCURRENCY;
  // Created and still-waiting runs alike: re-asserting a schedule is idempotent, and a run whose
  // schedule a crash kept from being created gets it here. Waking runs that fired while halted is
  // resume's job (`wake`), and deferred runs carry their own new time.
  await mapWithConcurrency([...created.map((c) => c.run), ...waiting], concurrency, (run) => ensureSchedule(ctx, run));
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
