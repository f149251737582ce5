import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MaintenanceWindow, nextWindowStart } from "../src/rollout/window";

const MINUTE = 60_000;
const DAY = 86_400_000;

const ZONES = [
  "UTC",
  "Europe/Berlin",
  "America/New_York",
  "Asia/Kolkata", // +05:30, no DST
  "Australia/Lord_Howe", // DST shift of 30 minutes
  "America/Sao_Paulo", // had DST until 2019
  "Pacific/Chatham", // +12:45 / +13:45
] as const;

/** Instants near the DST changes of the zones above, so the generator lands on them often. */
const NEAR_TRANSITIONS = [
  "2025-03-09T07:00:00Z",
  "2025-11-02T06:00:00Z",
  "2025-03-30T01:00:00Z",
  "2025-10-26T01:00:00Z",
  "2025-04-05T15:00:00Z",
  "2025-10-04T15:30:00Z",
  "2018-11-04T03:00:00Z",
  "2026-04-04T14:00:00Z",
].map((s) => Date.parse(s));

const windowArb = fc.record({
  days: fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 7 }),
  startMinute: fc.integer({ min: 0, max: 1439 }),
  durationMinutes: fc.integer({ min: 30, max: 1440 }),
  timezone: fc.constantFrom(...ZONES),
});

const notBeforeArb = fc.oneof(
  fc.integer({ min: Date.parse("2017-01-01T00:00:00Z"), max: Date.parse("2030-01-01T00:00:00Z") }),
  fc
    .tuple(fc.constantFrom(...NEAR_TRANSITIONS), fc.integer({ min: -4 * DAY, max: 4 * DAY }))
    .map(([base, delta]) => base + delta),
);

/**
 * An independent brute-force reading of the definition: walk the local clock minute by
 * minute; a window opens the first time on an allowed local date the clock reads startMinute
 * or later, and stays open durationMinutes. Returns every opening in [from, to].
 */
function openingsBetween(window: MaintenanceWindow, from: number, to: number): number[] {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: window.timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
  });
  const opened = new Set<string>();
  const openings: number[] = [];
  for (let m = Math.floor(from / MINUTE) * MINUTE; m <= to; m += MINUTE) {
    const f = Object.fromEntries(parts.formatToParts(m).map((p) => [p.type, p.value]));
    const date = `${f.year}-${f.month}-${f.day}`;
    const weekday = new Date(Date.UTC(Number(f.year), Number(f.month) - 1, Number(f.day))).getUTCDay();
    const minuteOfDay = Number(f.hour) * 60 + Number(f.minute);
    if (window.days.includes(weekday) && minuteOfDay >= window.startMinute && !opened.has(date)) {
      opened.add(date);
      openings.push(m);
    }
  }
  return openings;
}

/** Inside-ness per the oracle; the sweep starts two days early (a window lasts at most a day plus a DST shift) so open windows are seen. */
function oracle(window: MaintenanceWindow, notBefore: number, until: number) {
  const openings = openingsBetween(window, notBefore - 2 * DAY, until);
  return (t: number) => openings.some((o) => o <= t && t < o + window.durationMinutes * MINUTE);
}

describe("nextWindowStart", () => {
  it("returns an instant at or after notBefore that lies inside the window", () => {
    fc.assert(
      fc.property(windowArb, notBeforeArb, (window, notBefore) => {
        const result = nextWindowStart(window, new Date(notBefore)).getTime();
        expect(result).toBeGreaterThanOrEqual(notBefore);
        expect(oracle(window, notBefore, result)(result)).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it("returns the earliest such instant: nothing between notBefore and the result is inside", () => {
    fc.assert(
      fc.property(windowArb, notBeforeArb, (window, notBefore) => {
        const result = nextWindowStart(window, new Date(notBefore)).getTime();
        const inside = oracle(window, notBefore, result);
        if (result > notBefore) expect(inside(notBefore)).toBe(false);
        for (let m = Math.ceil(notBefore / MINUTE) * MINUTE; m < result; m += MINUTE) {
          expect(inside(m), new Date(m).toISOString()).toBe(false);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("returns notBefore itself, to the millisecond, when a window is open", () => {
    const window = { days: [1], startMinute: 9 * 60, durationMinutes: 120, timezone: "Europe/Berlin" };
    const monday1015 = new Date("2025-06-02T08:15:42.123Z");
    expect(nextWindowStart(window, monday1015)).toEqual(monday1015);
  });

  it("finds the next opening when notBefore is exactly when the window closes", () => {
    const window = { days: [1, 3], startMinute: 9 * 60, durationMinutes: 120, timezone: "Europe/Berlin" };
    expect(nextWindowStart(window, new Date("2025-06-02T09:00:00Z"))).toEqual(new Date("2025-06-04T07:00:00Z"));
  });

  it("keeps a window that crosses midnight open into the next day", () => {
    // Fridays 23:00 New York for three hours: Saturday 01:30 local is still inside.
    const window = { days: [5], startMinute: 23 * 60, durationMinutes: 180, timezone: "America/New_York" };
    const saturday0130 = new Date("2025-06-07T05:30:00Z");
    expect(nextWindowStart(window, saturday0130)).toEqual(saturday0130);
    expect(nextWindowStart(window, new Date("2025-06-07T06:00:00Z"))).toEqual(new Date("2025-06-14T03:00:00Z"));
  });

  it("follows the zone's offset across DST: the same local time is a different UTC hour", () => {
    const window = { days: [0], startMinute: 10 * 60, durationMinutes: 60, timezone: "Europe/Berlin" };
    expect(nextWindowStart(window, new Date("2025-03-29T12:00:00Z"))).toEqual(new Date("2025-03-30T08:00:00Z"));
    expect(nextWindowStart(window, new Date("2025-10-25T12:00:00Z"))).toEqual(new Date("2025-10-26T09:00:00Z"));
  });

  it("opens at the jump when a spring-forward change skips the start time", () => {
    // Berlin, 30 March 2025: 02:00 CET → 03:00 CEST at 01:00Z; 02:30 never happens.
    const window = { days: [0], startMinute: 150, durationMinutes: 60, timezone: "Europe/Berlin" };
    expect(nextWindowStart(window, new Date("2025-03-29T12:00:00Z"))).toEqual(new Date("2025-03-30T01:00:00Z"));
  });

  it("opens at the first of two readings when a fall-back change repeats the start time", () => {
    // New York, 2 November 2025: 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    const window = { days: [0], startMinute: 90, durationMinutes: 30, timezone: "America/New_York" };
    expect(nextWindowStart(window, new Date("2025-11-01T12:00:00Z"))).toEqual(new Date("2025-11-02T05:30:00Z"));
  });
});

describe("MaintenanceWindow schema", () => {
  const valid = { days: [1, 2], startMinute: 0, durationMinutes: 30, timezone: "Europe/Berlin" };

  it("accepts a valid window and IANA names including UTC", () => {
    expect(MaintenanceWindow.parse(valid)).toEqual(valid);
    expect(MaintenanceWindow.safeParse({ ...valid, timezone: "UTC" }).success).toBe(true);
    expect(MaintenanceWindow.safeParse({ ...valid, timezone: "America/Argentina/Buenos_Aires" }).success).toBe(true);
  });

  it.each([
    ["no days", { days: [] }],
    ["a repeated day", { days: [1, 1] }],
    ["day 7", { days: [7] }],
    ["a fractional day", { days: [1.5] }],
    ["startMinute 1440", { startMinute: 1440 }],
    ["negative startMinute", { startMinute: -1 }],
    ["a 29-minute window", { durationMinutes: 29 }],
    ["a window longer than a day", { durationMinutes: 1441 }],
    ["an unknown zone", { timezone: "Mars/Olympus_Mons" }],
    ["an offset instead of a zone", { timezone: "+01:00" }],
    ["an empty zone", { timezone: "" }],
  ])("rejects %s", (_, change) => {
    expect(MaintenanceWindow.safeParse({ ...valid, ...change }).success).toBe(false);
  });
});
