import type { TransactionEntities } from "../db/service";
import { labelled } from "../db/transaction";
import { IN_FLIGHT_STATES, type WaveSlot } from "./lease";
import type { RunRecord } from "./run";
import type { RunState } from "./run.entity";

/** A run that took a wave slot at claim and is now leaving flight gives it back in the same transaction. */
export const leavesFlight = (run: RunRecord, to: RunState) =>
  run.holdsSlot === true &&
  run.wave !== undefined &&
  IN_FLIGHT_STATES.includes(run.state) &&
  !IN_FLIGHT_STATES.includes(to);

/**
 * The wave's concurrency, enforced where it cannot be raced: the tally's `inFlight` goes up only
 * while below the limit, and only if no failure was counted since the limit was computed (a
 * failure shrinks the limit). Two claimers racing for the last slot: one gets `wave_full`.
 */
export function takeSlot(current: RunRecord, slot: WaveSlot, waveTally: TransactionEntities["waveTally"]) {
  return labelled(
    waveTally
      .update({ version: current.version, wave: slot.wave })
      .add({ inFlight: 1 })
      .where(({ inFlight, failed }, { lt, eq, notExists }) => {
        const same = slot.failed === 0 ? `(${notExists(failed)} OR ${eq(failed, 0)})` : eq(failed, slot.failed);
        return `(${notExists(inFlight)} OR ${lt(inFlight, slot.limit)}) AND ${same}`;
      })
      .commit(),
    "wave_full",
    `Wave ${slot.wave} of ${current.version} has no free slot`,
  );
}

export function releaseSlot(current: RunRecord, waveTally: TransactionEntities["waveTally"]) {
  return labelled(
    waveTally
      .update({ version: current.version, wave: current.wave as WaveSlot["wave"] })
      .add({ inFlight: -1 })
      .commit(),
    "transaction_conflict" as const,
    "Wave tally changed concurrently",
  );
}
