import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forEachUntil, mapWithConcurrency } from "../src/schedule/pool";

/** Yields to the event loop a few times, so tasks interleave the way real I/O would. */
const tick = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

describe("mapWithConcurrency", () => {
  it("keeps at most n in flight and returns results in input order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        async (delays, n) => {
          let inFlight = 0;
          let peak = 0;
          const results = await mapWithConcurrency(delays, n, async (delay, i) => {
            inFlight++;
            peak = Math.max(peak, inFlight);
            await tick(delay);
            inFlight--;
            return i * 2;
          });
          expect(results).toEqual(delays.map((_, i) => i * 2));
          expect(peak).toBeLessThanOrEqual(n);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("uses the concurrency it is given", async () => {
    let inFlight = 0;
    let peak = 0;
    await mapWithConcurrency(Array.from({ length: 20 }), 5, async () => {
      peak = Math.max(peak, ++inFlight);
      await tick(2);
      inFlight--;
    });
    expect(peak).toBe(5);
  });

  it("starts nothing new after a failure, lets in-flight work finish, then throws the first error", async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const run = mapWithConcurrency([0, 1, 2, 3, 4, 5, 6, 7], 2, async (i) => {
      started.push(i);
      await tick(i === 1 ? 3 : 1);
      if (i === 0) throw new Error("boom 0");
      finished.push(i);
    });
    await expect(run).rejects.toThrow("boom 0");
    expect(started).toEqual([0, 1]);
    expect(finished).toEqual([1]);
  });

  it("rejects a concurrency below 1", async () => {
    await expect(mapWithConcurrency([1], 0, async () => 1)).rejects.toThrow(RangeError);
  });
});

describe("forEachUntil (the planner's shard workers)", () => {
  it("keeps at most n in flight, starts each item once, and every worker's first item even when told to stop", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 30 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 30 }),
        async (delays, n, stopAfter) => {
          let inFlight = 0;
          let peak = 0;
          let finished = 0;
          const started: number[] = [];
          await forEachUntil(
            delays.map((_, i) => i),
            n,
            () => finished >= stopAfter,
            async (i) => {
              started.push(i);
              inFlight++;
              peak = Math.max(peak, inFlight);
              await tick(delays[i]!);
              inFlight--;
              finished++;
            },
          );
          expect(peak).toBeLessThanOrEqual(n);
          expect(new Set(started).size).toBe(started.length);
          // The first round always runs: a budget spent before any work still makes progress.
          expect(started.length).toBeGreaterThanOrEqual(Math.min(n, delays.length));
          // After the stop, nothing new starts beyond what was in flight.
          if (stopAfter === 0) expect(started.length).toBe(Math.min(n, delays.length));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("hands `stop()` to long items, turns it on at the first failure and throws that failure", async () => {
    const pages: number[] = [];
    const work = forEachUntil(
      [0, 1, 2, 3],
      2,
      () => false,
      async (item, stop) => {
        if (item === 0) {
          await tick(2);
          throw new Error("shard 0 failed");
        }
        // A "shard" of many pages: it ends at the next page boundary once stop() turns true.
        for (let page = 0; page < 100 && !stop(); page++) {
          pages.push(item);
          await tick(1);
        }
      },
    );
    await expect(work).rejects.toThrow("shard 0 failed");
    expect(pages.length).toBeLessThan(100);
    expect(pages).not.toContain(2);
  });
});
