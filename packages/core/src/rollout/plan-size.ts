import type { Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { isStackfleetError } from "../error";
import type { Wave } from "./progress.entity";

const MAX_FOLD_ATTEMPTS = 8;

/**
 * Adds what the planner's shards counted (`waveSizePart.planned`) but the wave tallies do not
 * have yet to the tallies' `size`, in one transaction that also advances each part's `folded`
 * on the condition that nobody folded it meanwhile. Called at the start and end of every plan
 * call: the tallies are complete when planning is, and a plan call after a crash folds what the
 * crashed one counted. A concurrent fold makes the condition fail: read again and retry.
 */
export async function foldPlannedSizes(deps: Deps, version: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const { data: parts } = await deps.service.entities.waveSizePart.query.byVersion({ version }).go({ pages: "all" });
    const due = parts.filter((p) => (p.planned ?? 0) > (p.folded ?? 0));
    if (due.length === 0) return;
    const sizes = new Map<Wave, number>();
    for (const p of due) sizes.set(p.wave, (sizes.get(p.wave) ?? 0) + (p.planned ?? 0) - (p.folded ?? 0));
    try {
      await commitTransaction(
        () =>
          deps.service.transaction
            .write(({ waveSizePart, waveTally }) => [
              ...due.map((p) =>
                waveSizePart
                  .patch({ version, wave: p.wave, shard: p.shard })
                  .set({ folded: p.planned ?? 0 })
                  // A part the planner's ADD created has no `folded` yet.
                  .where(({ folded }, { eq, notExists }) =>
                    p.folded === undefined ? notExists(folded) : eq(folded, p.folded),
                  )
                  .commit(),
              ),
              ...[...sizes].map(([wave, n]) => waveTally.update({ version, wave }).add({ size: n }).commit()),
            ])
            .go(),
        [
          ...due.map(() => ({ code: "fold_raced", message: "Another planner folded this part" })),
          ...[...sizes].map(() => ({ code: "tally_conflict", message: "Wave tally changed concurrently" })),
        ],
      );
      return;
    } catch (error) {
      if (!isStackfleetError(error, "conflict") || attempt >= MAX_FOLD_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt * Math.random()));
    }
  }
}
