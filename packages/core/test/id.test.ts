import { decodeTime, monotonicFactory } from "ulid";
import { describe, expect, it } from "vitest";
import { monotonicUlid, type Prng, ulidIds } from "../src/id";

// A seeded random source both generators draw from, character by character.
const seeded = (): Prng => {
  let seed = 7;
  return () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed % 256) / 256;
  };
};

describe("core's ULIDs", () => {
  it("are the ulid package's monotonic ids for the same times and random source", () => {
    const ours = monotonicUlid(seeded());
    const theirs = monotonicFactory(seeded());
    const base = 1_764_400_000_000;
    // New times, the same millisecond again and again, a clock set back, the earliest and latest times.
    const times = [base, base, base, base + 1, base + 1, base - 5_000, base + 2, 1, base + 3, 2 ** 48 - 1, 2 ** 48 - 1];
    const produced = times.map((t) => [ours(t), theirs(t)]);
    for (const [a, b] of produced) expect(a).toBe(b);
    expect(new Set(produced.map(([a]) => a)).size).toBe(times.length);
    const sorted = produced.map(([a]) => a).slice(0, 9);
    expect([...sorted].sort()).toEqual(sorted);
  });

  it("carry the time the package decodes, and refuse what it refuses", () => {
    const next = monotonicUlid();
    expect(decodeTime(next(1_764_400_000_123))).toBe(1_764_400_000_123);
    expect(next(1_764_400_000_124)).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(() => monotonicUlid()(2 ** 48)).toThrow();
    expect(() => monotonicFactory()(2 ** 48)).toThrow();
    expect(() => monotonicUlid()(-1)).toThrow();
    expect(() => monotonicFactory()(-1)).toThrow();
  });

  it("fail, as the package does, when a millisecond's random part is used up", () => {
    const top = () => 0.999;
    const [ours, theirs] = [monotonicUlid(top), monotonicFactory(top)];
    expect(ours(5)).toBe(theirs(5));
    expect(() => ours(5)).toThrow(/Failed incrementing/);
    expect(() => theirs(5)).toThrow(); // in its words, "Incorrectly encoded string"
  });

  it("are prefixed by kind and increase within a millisecond", () => {
    const ids = ulidIds(() => new Date("2026-11-29T08:00:00.000Z"));
    const [a, b] = [ids("run"), ids("run")];
    expect(a).toMatch(/^run_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(b > a).toBe(true);
    expect(decodeTime(a.slice(4))).toBe(Date.parse("2026-11-29T08:00:00.000Z"));
  });
});
