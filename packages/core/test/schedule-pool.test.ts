import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mapWithConcurrency } from "../src/schedule/pool";

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
