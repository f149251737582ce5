/**
 * Wall-clock arithmetic in IANA time zones with nothing but `Intl`: the runtime's ICU data is
 * the tz database, so no library (and no second copy of the rules to keep current).
 *
 * A "wall" value is the local date-time read as if it were UTC milliseconds; that keeps day
 * and minute arithmetic on local dates plain integer arithmetic.
 */

import { DAY_MS } from "../time";

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    // h23: some ICU versions print midnight as "24" with `hour12: false`.
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The local wall-clock reading of `epochMs` in `timeZone`, as wall milliseconds (see above). */
export function wallOf(timeZone: string, epochMs: number): number {
  const fields: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(epochMs)) {
    if (part.type !== "literal") fields[part.type] = Number(part.value);
  }
  const { year = NaN, month = NaN, day = NaN, hour = NaN, minute = NaN, second = NaN } = fields;
  const wholeSeconds = Date.UTC(year, month - 1, day, hour, minute, second);
  // Intl drops milliseconds; offsets are whole seconds, so the remainder carries over as is.
  return wholeSeconds + (((epochMs % 1000) + 1000) % 1000);
}

/** Local minus UTC, in milliseconds, at `epochMs`. */
export const offsetAt = (timeZone: string, epochMs: number) => wallOf(timeZone, epochMs) - epochMs;

/**
 * The first instant, on the local date of `wall`, at which the clock of `timeZone` reads
 * `wall` or later. That is the instant itself on ordinary days; when clocks are set back and
 * the reading happens twice, the first time; when clocks jump over it, the moment of the jump
 * (02:30 on a night that skips from 02:00 to 03:00 → the instant the clock shows 03:00).
 * Real zones change offset at most once within a day of any instant, so the offsets one day
 * either side are the only candidates.
 */
export function instantOfWall(timeZone: string, wall: number): number {
  const before = offsetAt(timeZone, wall - DAY_MS);
  const after = offsetAt(timeZone, wall + DAY_MS);
  const candidates = [wall - before, wall - after].filter((t) => wallOf(timeZone, t) === wall);
  if (candidates.length > 0) return Math.min(...candidates);
  // In a gap: the jump lies between reading the wall time with the new offset (still before
  // it) and with the old one (already after it). Bisect to the millisecond it happens.
  let lo = wall - after;
  let hi = wall - before;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(timeZone, mid) === after) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Midnight of the local date containing `wall`. */
export const startOfWallDay = (wall: number) => Math.floor(wall / DAY_MS) * DAY_MS;

/** 0 = Sunday … 6 = Saturday, of the local date containing `wall`. */
export const weekdayOfWall = (wall: number) => new Date(wall).getUTCDay();

/**
 * Whether `name` is a time zone the runtime knows by an IANA name. Offset strings such as
 * "+01:00" are accepted by newer `Intl` but are not IANA names, and Scheduler would reject
 * them, so they are refused here.
 */
export function isIanaTimeZone(name: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}
