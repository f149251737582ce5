import type { Deps } from "../context";
import { getById } from "../integration/integration";
import { integrationTruth } from "../integration-status/status";
import { byVersion } from "../run/queries";
import type { RunRecord } from "../run/run";
import { RUN_STATES, type RunState } from "../run/run.entity";
import { globalControl } from "../version/halts";
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
  /** Every halt that holds this version now: its own, the global kill switch, a quarantine. */
  halts: { scope: "version" | "global"; reason?: string; quarantined?: boolean }[];
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
  const [runs, tallies, control] = await Promise.all([
    byVersion(deps, version.version).then((data) => ({ data })),
    deps.service.entities.waveTally.query.byVersion({ version: version.version }).go(),
    globalControl(deps),
  ]);
  const halts: RolloutProgress["halts"] = [];
  if (version.state === "halted")
    halts.push({ scope: "version", reason: version.stateReason, quarantined: Boolean(version.quarantinedAt) });
  if (control.halted) halts.push({ scope: "global", reason: control.reason });
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
    const tally = tallies.data.find((t) => t.wave === wave) ?? untallied(runs.data, wave);
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
    halts,
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

/**
 * What the customer sees coming: the next waiting run above the installed version, with the
 * changelog and grace computed from the installed version; null while opted out or disconnected.
 */
export async function pendingUpdate(deps: Deps, integrationId: string) {
  const integration = await getById(deps, integrationId);
  if (!integration) return null;
  return (await integrationTruth(deps, integration)).pendingUpdate;
}

/**
 * Manual updates ("update now") keep no wave tally: the gates do not hold them. Their line is
 * counted from the runs, per integration, so every integration is counted once.
 */
function untallied(runs: RunRecord[], wave: string) {
  if (wave !== "manual") return undefined;
  const latest = new Map<string, RunRecord>();
  for (const run of runs.filter((r) => r.wave === wave)) {
    const seen = latest.get(run.integrationId);
    if (!seen || seen.attempt < run.attempt) latest.set(run.integrationId, run);
  }
  const last = [...latest.values()];
  const done = last.filter((r) => r.state === "succeeded" || r.state === "failed" || r.state === "cancelled");
  return {
    size: last.length,
    finished: done.length,
    succeeded: done.filter((r) => r.state === "succeeded").length,
    failed: done.filter((r) => r.state === "failed").length,
    lastFinishedAt: undefined as string | undefined,
  };
}
