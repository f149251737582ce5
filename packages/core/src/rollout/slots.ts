import { runTimeFor, type MaintenanceWindow } from "./window";

/**
 * Batching a wave over time. Two layers, on purpose:
 * - the planner spreads the wave into slots of `concurrency` runs each, `slotMinutes` apart
 *   (roughly one update plus its watch), and moves each run into its integration's
 *   maintenance window. That keeps the usual case free of waiting.
 * - the executor gates every claim with `mayStart` (tolerance.ts) on the wave's live
 *   in-flight and failure counts, deferring when the wave is full and halting past tolerance.
 * The gate is the authority: only the executor sees failures (which shrink concurrency under
 * strict tolerance), runs that take longer than a slot, and windows that pile many runs onto
 * the same minute — none of which a static plan can know.
 */

export type PlannedRun = { integrationId: string; at: Date };

/** Run i of the wave goes at `start + floor(i / concurrency) * slotMinutes`, in the given order. */
export function slotTimes(ids: readonly string[], concurrency: number, start: Date, slotMinutes: number): PlannedRun[] {
  const perSlot = Math.max(1, Math.floor(concurrency));
  return ids.map((integrationId, i) => ({
    integrationId,
    at: new Date(start.getTime() + Math.floor(i / perSlot) * slotMinutes * 60_000),
  }));
}

/** Slots, then each run moved to the first instant of its maintenance window at or after its slot. */
export function planWave(
  members: readonly { integrationId: string; maintenanceWindow?: MaintenanceWindow | undefined }[],
  options: { concurrency: number; start: Date; slotMinutes: number },
): PlannedRun[] {
  const slots = slotTimes(
    members.map((m) => m.integrationId),
    options.concurrency,
    options.start,
    options.slotMinutes,
  );
  return slots.map((slot, i) => ({
    integrationId: slot.integrationId,
    at: runTimeFor(members[i]?.maintenanceWindow, slot.at),
  }));
}
