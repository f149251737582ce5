import { describe, expect, it } from "vitest";
import { concurrencyFor, maxConcurrentFor, mayStart, toleranceExceeded, toleranceFor } from "../src/rollout/tolerance";

const policy = (
  maxConcurrent: { count: number } | { percentage: number },
  failureTolerance: { count: number } | { percentage: number },
) => ({
  maxConcurrent,
  failureTolerance,
});

describe("StackSets rounding", () => {
  it.each([
    // [percentage, waveSize, tolerance]: rounded down, may be 0
    [10, 9, 0],
    [10, 10, 1],
    [10, 19, 1],
    [10, 20, 2],
    [33, 100, 33],
    [7, 100, 7],
    [29, 100, 29],
    [1, 99, 0],
    [100, 5, 5],
    [0, 1000, 0],
  ])("failure tolerance of %i %% over %i is %i", (percentage, size, expected) => {
    expect(toleranceFor(policy({ count: 1 }, { percentage }), size)).toBe(expected);
  });

  it.each([
    // [percentage, waveSize, maxConcurrent]: rounded down, but never below 1
    [10, 9, 1],
    [10, 0, 1],
    [1, 50, 1],
    [10, 25, 2],
    [50, 7, 3],
    [100, 7, 7],
  ])("max concurrency of %i %% over %i is %i", (percentage, size, expected) => {
    expect(maxConcurrentFor(policy({ percentage }, { count: 0 }), size)).toBe(expected);
  });

  it("takes counts as given, whatever the wave size", () => {
    expect(toleranceFor(policy({ count: 1 }, { count: 3 }), 2)).toBe(3);
    expect(maxConcurrentFor(policy({ count: 8 }, { count: 0 }), 2)).toBe(8);
  });
});

describe("strict failure tolerance", () => {
  it.each([
    // [max, tolerance, failures, concurrency]
    [10, 0, 0, 1], // tolerance 0: one at a time
    [10, 1, 0, 2], // starts at tolerance + 1 when that is lower than max
    [10, 1, 1, 1], // shrinks by one per failure
    [10, 1, 2, 0],
    [3, 10, 0, 3], // max wins while it is lower
    [3, 10, 7, 3], // failures only bite once tolerance + 1 - failures drops below max
    [3, 10, 9, 2],
    [3, 10, 10, 1],
    [3, 10, 11, 0],
    [1, 5, 20, 0], // never negative
  ])("max %i, tolerance %i, %i failures → %i in flight", (max, tolerance, failures, expected) => {
    expect(concurrencyFor(policy({ count: max }, { count: tolerance }), 100, failures)).toBe(expected);
  });

  it("applies percentages to the wave size: 10 % of 45 tolerates 4 and runs 5 at first", () => {
    const p = policy({ percentage: 50 }, { percentage: 10 });
    expect(concurrencyFor(p, 45, 0)).toBe(5);
    expect(concurrencyFor(p, 45, 3)).toBe(2);
    expect(toleranceExceeded(p, 45, 4)).toBe(false);
    expect(toleranceExceeded(p, 45, 5)).toBe(true);
  });

  it("halts a tolerance of 1 on the second failure, not the first", () => {
    const p = policy({ count: 10 }, { count: 1 });
    expect(toleranceExceeded(p, 100, 0)).toBe(false);
    expect(toleranceExceeded(p, 100, 1)).toBe(false);
    expect(toleranceExceeded(p, 100, 2)).toBe(true);
  });

  it("never lets failures pass tolerance + 1, even if every run in flight fails", () => {
    for (const tolerance of [0, 1, 2, 5]) {
      for (const max of [1, 2, 3, 10]) {
        const p = policy({ count: max }, { count: tolerance });
        for (let failures = 0; failures <= tolerance; failures++) {
          expect(failures + concurrencyFor(p, 100, failures)).toBeLessThanOrEqual(tolerance + 1);
        }
      }
    }
  });
});

describe("mayStart", () => {
  const p = policy({ count: 3 }, { count: 2 });

  it("admits a run while the wave has room", () => {
    expect(mayStart({ inFlight: 2, failures: 0, waveSize: 50, policy: p })).toEqual({ ok: true });
  });

  it("defers a run when the wave is full, counting failures against the room", () => {
    expect(mayStart({ inFlight: 3, failures: 0, waveSize: 50, policy: p })).toEqual({
      ok: false,
      reason: "concurrency_full",
    });
    expect(mayStart({ inFlight: 1, failures: 2, waveSize: 50, policy: p })).toEqual({
      ok: false,
      reason: "concurrency_full",
    });
    expect(mayStart({ inFlight: 0, failures: 2, waveSize: 50, policy: p })).toEqual({ ok: true });
  });

  it("halts once failures exceed the tolerance, even with nothing in flight", () => {
    expect(mayStart({ inFlight: 0, failures: 3, waveSize: 50, policy: p })).toEqual({
      ok: false,
      reason: "tolerance_exceeded",
    });
  });
});
