import type { Deps } from "../context";
import type { WaveSlot } from "../run/lease";
import type { RunRecord } from "../run/run";
import { HOUR_MS } from "../time";
import { get as getVersion } from "../version/version";
import { DEFAULT_ROLLOUT_POLICY } from "./policy";
import { WAVES, type Wave } from "./progress.entity";
import { rolloutOf } from "./rollout-record";
import { concurrencyFor, mayStart, unaccepted } from "./tolerance";
import { mainWaveGate } from "./wave-rules";

export type GateDecision =
  | { ok: true; slot?: WaveSlot; fullRetryAt?: Date }
  | { ok: false; reason: "canary_failed" | "tolerance_exceeded"; retryAt?: undefined }
  | { ok: false; reason: "canary_pending" | "cooling_off" | "concurrency_full"; retryAt: Date };

export interface GateOptions {
  /** When to look again while the canary is still running (default 1 h). */
  pendingRecheckMs?: number;
  /** When to look again while the wave is at its concurrency (default 15 min). */
  busyRecheckMs?: number;
}

/**
 * The executor's wave gate for a run about to be claimed: a main-wave run waits for the whole canary to
 * finish within tolerance and a cooling-off after its last run; any wave run waits while the
 * wave is at its (strict, failure-shrunk) concurrency, and stops for good once the wave is past
 * tolerance. `retryAt` says when asking again makes sense (defer the run to then); without it
 * the answer will not change (the rollout halts). Update-now runs (wave "manual") pass.
 */
export async function gateForRun(
  deps: Deps,
  run: RunRecord,
  now: Date,
  options: GateOptions = {},
): Promise<GateDecision> {
  if (!(WAVES as readonly string[]).includes(run.wave ?? "")) return { ok: true };
  const wave = run.wave as Wave;
  const version = await getVersion(deps, run.version);
  const policy = rolloutOf(version)?.policy ?? DEFAULT_ROLLOUT_POLICY;
  const { data: tallies } = await deps.service.entities.waveTally.query.byVersion({ version: run.version }).go();
  const tally = (w: Wave) => tallies.find((t) => t.wave === w);

  if (wave === "main") {
    const canary = tally("canary");
    const decision = mainWaveGate(
      {
        size: canary?.size ?? 0,
        finished: canary?.finished ?? 0,
        failed: unaccepted(canary),
        lastFinishedAt: canary?.lastFinishedAt ? new Date(canary.lastFinishedAt) : undefined,
      },
      policy,
      now,
    );
    if (!decision.ok) {
      if (decision.reason === "canary_failed") return { ok: false, reason: "canary_failed" };
      if (decision.reason === "cooling_off") return { ok: false, reason: "cooling_off", retryAt: decision.retryAt };
      return {
        ok: false,
        reason: "canary_pending",
        retryAt: new Date(now.getTime() + (options.pendingRecheckMs ?? HOUR_MS)),
      };
    }
  }

  // The wave's own tally item carries its in-flight count: one read, no query over its runs. The
  // claim takes the slot in its own transaction, conditional on this very count being below the limit.
  const own = tally(wave);
  const failed = unaccepted(own);
  const size = own?.size ?? 0;
  const start = mayStart({ inFlight: own?.inFlight ?? 0, failures: failed, waveSize: size, policy });
  const busyUntil = new Date(now.getTime() + (options.busyRecheckMs ?? 15 * 60_000));
  // The slot's condition compares the tally's own `failed` count: a failure recorded meanwhile wins.
  const slot = { wave, limit: concurrencyFor(policy, size, failed), failed: own?.failed ?? 0 };
  if (start.ok) return { ok: true, slot, fullRetryAt: busyUntil };
  if (start.reason === "tolerance_exceeded") return { ok: false, reason: "tolerance_exceeded" };
  return { ok: false, reason: "concurrency_full", retryAt: busyUntil };
}
