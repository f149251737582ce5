import type { Deps } from "../context";
import type { RunRecord } from "../run/run";
import { RUN_STATES, type RunState } from "../run/run.entity";
import * as Version from "../version/version";
import { rolloutOf } from "./rollout-record";
import { toleranceFor } from "./tolerance";

export interface WaveProgress {
  size: number;
  finished: number;
  succeeded: number;
  failed: number;
  tolerance: number;
  lastFinishedAt?: string;
  byState: Partial<Record<RunState, number>>;
}

export interface RolloutProgress {
  version: string;
  state: string;
  stateReason?: string;
  graceEndsAt: string;
  policy?: unknown;
  fleetSize?: number;
  byState: Partial<Record<RunState, number>>;
  waves: Record<string, WaveProgress>;
  failures: {
    runId: string;
    integrationId: string;
    wave?: string;
    attempt: number;
    reason?: string;
    finishedAt?: string;
  }[];
}

/**
 * An operator's view of a rollout: runs by state and by wave (every attempt, from the version's
 * run index, GSI `byVersion`), the waves' tallies (per integration, as the tolerance counts),
 * and the failures with their reasons.
 */
export async function rolloutProgress(deps: Deps, versionName: string): Promise<RolloutProgress> {
  const version = await Version.get(deps, versionName);
  const rollout = rolloutOf(version);
  const [runs, tallies] = await Promise.all([
    deps.service.entities.run.query.byVersion({ version: version.version }).go({ pages: "all" }),
    deps.service.entities.waveTally.query.byVersion({ version: version.version }).go(),
  ]);
  const count = (items: RunRecord[]) => {
    const out: Partial<Record<RunState, number>> = {};
    for (const state of RUN_STATES) {
      const n = items.filter((r) => r.state === state).length;
      if (n > 0) out[state] = n;
    }
    return out;
  };
  const waves: Record<string, WaveProgress> = {};
  for (const wave of new Set([
    ...tallies.data.map((t) => t.wave as string),
    ...runs.data.map((r) => r.wave ?? "main"),
  ])) {
    const tally = tallies.data.find((t) => t.wave === wave);
    const size = tally?.size ?? 0;
    waves[wave] = {
      size,
      finished: tally?.finished ?? 0,
      succeeded: tally?.succeeded ?? 0,
      failed: tally?.failed ?? 0,
      tolerance: rollout ? toleranceFor(rollout.policy, size) : 0,
      ...(tally?.lastFinishedAt ? { lastFinishedAt: tally.lastFinishedAt } : {}),
      byState: count(runs.data.filter((r) => (r.wave ?? "main") === wave)),
    };
  }
  return {
    version: version.version,
    state: version.state,
    stateReason: version.stateReason,
    graceEndsAt: version.graceEndsAt,
    policy: rollout?.policy,
    fleetSize: rollout?.fleetSize,
    byState: count(runs.data),
    waves,
    failures: runs.data
      .filter((r) => r.state === "failed")
      .map((r) => ({
        runId: r.runId,
        integrationId: r.integrationId,
        wave: r.wave,
        attempt: r.attempt,
        reason: r.reason,
        finishedAt: r.finishedAt,
      })),
  };
}

/** What the customer sees coming: the next waiting run, with the version's changelog headline. */
export async function pendingUpdate(deps: Deps, integrationId: string) {
  const { data } = await deps.service.entities.run.query
    .activity({ integrationId })
    .where(({ state }, { eq }) => eq(state, "scheduled"))
    .go({ pages: "all" });
  const next = data.sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor))[0];
  if (!next) return null;
  const version = await Version.get(deps, next.version);
  return {
    version: next.version,
    scheduledFor: next.scheduledFor,
    changelogSummary: version.changelogSummary,
    runId: next.runId,
    attempt: next.attempt,
  };
}
