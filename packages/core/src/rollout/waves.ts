import { createHash } from "node:crypto";
import type { RolloutPolicy } from "./policy";

export type Waves = { canary: string[]; main: string[] };

const HOUR_MS = 3_600_000;

/** A stable pseudo-random rank: same seed and id, same place, on every machine and every call. */
const rank = (seed: string, id: string) => createHash("sha256").update(seed).update("\0").update(id).digest("hex");

/**
 * Splits the fleet into a canary cohort and the rest, deterministically. The canary holds the
 * policy's named ids that are in the fleet (in the policy's order), topped up to
 * `ceil(percentage % of the fleet)` with the ids that rank first under `seed`. Rounding up
 * means any percentage yields a canary for a non-empty fleet. Seed with the version, so the
 * same customers are not the canary of every release — naming ids is how to pin them.
 * Both lists come out in rank order (after the named ids), which is also the order the
 * planner spreads them over time, so no tenant is always first.
 */
export function assignWaves(
  integrationIds: readonly string[],
  policy: Pick<RolloutPolicy, "canary">,
  seed: string,
): Waves {
  const ranks = new Map<string, string>();
  for (const id of integrationIds) ranks.set(id, rank(seed, id));
  const ranked = [...ranks.keys()].sort((a, b) => compare(ranks.get(a), ranks.get(b)) || compare(a, b));

  const named = [...new Set(policy.canary?.integrationIds ?? [])].filter((id) => ranks.has(id));
  const percentage = policy.canary?.percentage ?? 0;
  const target = Math.ceil((ranked.length * percentage) / 100);
  const inCanary = new Set(named);
  const topUp = ranked.filter((id) => !inCanary.has(id)).slice(0, Math.max(0, target - named.length));
  const canary = [...named, ...topUp];
  for (const id of topUp) inCanary.add(id);
  return { canary, main: ranked.filter((id) => !inCanary.has(id)) };
}

const compare = (a: string | undefined, b: string | undefined) => (a === b ? 0 : (a ?? "") < (b ?? "") ? -1 : 1);

/**
 * When each wave may start: the canary when the grace period ends, the main wave a cooling-off
 * later. Without a canary cohort (no canary in the policy, or `waves` shows it came out empty)
 * the main wave starts when the grace period ends. These are earliest times: the executor
 * still re-checks the canary's outcome and the halt flags before acting.
 */
export function waveStartTimes(
  graceEnd: Date,
  policy: Pick<RolloutPolicy, "canary" | "coolingOffHours">,
  waves?: Pick<Waves, "canary">,
): { canary: Date; main: Date } {
  const hasCanary = policy.canary !== undefined && (waves === undefined || waves.canary.length > 0);
  const main = hasCanary ? new Date(graceEnd.getTime() + policy.coolingOffHours * HOUR_MS) : graceEnd;
  return { canary: graceEnd, main };
}
