import type { Actor, Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { isStackfleetError } from "../error";
import type { RunRecord } from "../run/run";
import { get as getVersion } from "../version/version";
import type { RolloutContext } from "./context";
import { haltRollout } from "./halt-rollout";
import type { Wave } from "./progress.entity";
import { WAVES } from "./progress.entity";
import { rolloutOf } from "./rollout-record";
import { toleranceExceeded, toleranceFor, unaccepted } from "./tolerance";

/** How a run ended, as the tally counts it: `finished` = terminal without an update attempt (cancelled, skipped, ineligible). */
export type RunOutcome = "succeeded" | "failed" | "finished";

export interface OutcomeResult {
  counted: boolean;
  /** Set when this outcome pushed the wave past its tolerance and the version was halted. */
  halted?: { reason: string };
}

const ROLLOUT: Actor = "system:rollout";

const isWave = (wave: string | undefined): wave is Wave => (WAVES as readonly string[]).includes(wave ?? "");

/**
 * Counts a run's final outcome into its wave (once per integration: a retried or re-planned
 * integration replaces its earlier outcome rather than adding one), then applies StackSets'
 * strict tolerance: once the wave's failures exceed it, the version halts itself and says why.
 * Call it for final outcomes only — a failure the executor retries (a new attempt) is not final.
 * Idempotent per run: a second call for the same run counts nothing.
 */
export async function recordRunOutcome(
  deps: Deps,
  ctx: RolloutContext,
  run: RunRecord,
  outcome: RunOutcome,
  reason?: string,
): Promise<OutcomeResult> {
  if (!isWave(run.wave)) return { counted: false };
  const wave = run.wave;
  const key = { version: run.version, integrationId: run.integrationId };
  for (let attempt = 0; ; attempt++) {
    const previous = (await deps.service.entities.integrationOutcome.get(key).go()).data;
    if (previous?.runId === run.runId) return { counted: false };
    const at = deps.now().toISOString();
    const delta = {
      finished: previous ? 0 : 1,
      succeeded: (outcome === "succeeded" ? 1 : 0) - (previous?.outcome === "succeeded" ? 1 : 0),
      failed: (outcome === "failed" ? 1 : 0) - (previous?.outcome === "failed" ? 1 : 0),
    };
    try {
      await commitTransaction(
        () =>
          deps.service.transaction
            .write(({ integrationOutcome, waveTally }) => [
              previous
                ? integrationOutcome
                    .patch(key)
                    .set({ runId: run.runId, outcome, reason, at, wave })
                    .where(({ runId }, { eq }) => eq(runId, previous.runId))
                    .commit()
                : integrationOutcome.create({ ...key, wave, runId: run.runId, outcome, reason, at }).commit(),
              waveTally.update({ version: run.version, wave }).add(delta).set({ lastFinishedAt: at }).commit(),
            ])
            .go(),
        [
          { code: "outcome_changed", message: `The outcome of ${run.integrationId} changed concurrently` },
          { code: "tally_conflict", message: "Wave tally changed concurrently" },
        ],
      );
      break;
    } catch (error) {
      if (attempt < 3 && isStackfleetError(error, "conflict")) continue;
      throw error;
    }
  }
  if (outcome !== "failed") return { counted: true };
  return { counted: true, ...(await haltPastTolerance(deps, ctx, run.version, wave)) };
}

async function haltPastTolerance(
  deps: Deps,
  ctx: RolloutContext,
  versionName: string,
  wave: Wave,
): Promise<Pick<OutcomeResult, "halted">> {
  const version = await getVersion(deps, versionName);
  const policy = rolloutOf(version)?.policy ?? ctx.policy;
  const tally = (await deps.service.entities.waveTally.get({ version: versionName, wave }).go()).data;
  const size = tally?.size ?? 0;
  const failed = unaccepted(tally);
  if (!toleranceExceeded(policy, size, failed)) return {};
  const reason = `failure tolerance exceeded in wave ${wave}: ${failed} failures > tolerance ${toleranceFor(policy, size)}`;
  try {
    // The executor is mid-invocation: a few seconds of courtesy deletions, the flag does the rest.
    if (version.state === "published") await haltRollout(deps, ctx, versionName, ROLLOUT, reason, { budgetMs: 5_000 });
  } catch (error) {
    // Two failures landing together both try to halt; the one that loses finds it halted.
    if (!isStackfleetError(error, "conflict") || (await getVersion(deps, versionName)).state === "published")
      throw error;
  }
  return { halted: { reason } };
}
