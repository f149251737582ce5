import { inputError } from "../error";
import { DAY_MS, MINUTE_MS } from "../time";
import * as z from "../zod-mini";
import { instantOfWall, isIanaTimeZone, startOfWallDay, wallOf, weekdayOfWall } from "./zone";

/**
 * When a customer lets us touch their stack: on each of `days` (0 = Sunday, local to
 * `timezone`) a window opens at `startMinute` local time and stays open `durationMinutes`
 * of elapsed time, so it may run past midnight into the next day. A window belongs to the day
 * it opens on, and opens at the first instant that day when the local clock reads
 * `startMinute` or later: the first of two such readings when clocks are set back, the moment
 * of the jump when clocks skip over it.
 */
export const MaintenanceWindow = z.object({
  days: z.array(z.int().check(z.gte(0), z.lte(6))).check(
    z.minLength(1),
    z.refine((days) => new Set(days).size === days.length, "days must not repeat"),
  ),
  startMinute: z.int().check(z.gte(0), z.lte(1439)),
  // Shorter windows would not fit a stack update plus the Scheduler's minute of jitter.
  durationMinutes: z.int().check(z.gte(30), z.lte(1440)),
  timezone: z.string().check(z.refine(isIanaTimeZone, "timezone must be an IANA time zone name such as Europe/Berlin")),
});
export type MaintenanceWindow = z.infer<typeof MaintenanceWindow>;

/**
 * The first instant at or after `notBefore` inside `window`: `notBefore` itself when a window
 * is open then, otherwise the next opening.
 */
export function nextWindowStart(window: MaintenanceWindow, notBefore: Date): Date {
  const t = notBefore.getTime();
  const today = startOfWallDay(wallOf(window.timezone, t));
  let next = Infinity;
  // Windows that opened up to two local days ago may still be open (1,440 minutes plus a DST
  // shift); every weekday recurs within the following seven.
  for (let d = -2; d <= 8; d++) {
    const day = today + d * DAY_MS;
    if (!window.days.includes(weekdayOfWall(day))) continue;
    const opens = instantOfWall(window.timezone, day + window.startMinute * MINUTE_MS);
    if (opens <= t && t < opens + window.durationMinutes * MINUTE_MS) return new Date(t);
    if (opens >= t) next = Math.min(next, opens);
  }
  if (!Number.isFinite(next)) throw inputError("maintenance_window_invalid", "maintenance window has no valid days");
  return new Date(next);
}

/** Where a run lands: inside the integration's window, or at `notBefore` when it has none. */
export const runTimeFor = (window: MaintenanceWindow | undefined, notBefore: Date): Date =>
  window ? nextWindowStart(window, notBefore) : notBefore;
