import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createTokenBucket } from "../src/schedule/token-bucket";

/**
 * A virtual clock: `sleep` registers a timer, `run` lets every ready task go, then jumps the
 * clock to the earliest timer. No real time passes, so the counts below are exact.
 */
function virtualTime() {
  let now = 0;
  const timers: { at: number; resolve: () => void }[] = [];
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
  };
  return {
    now: () => now,
    sleep: (ms: number) => new Promise<void>((resolve) => timers.push({ at: now + ms, resolve })),
    async advanceTo(t: number) {
      await settle();
      while (timers.length > 0) {
        timers.sort((a, b) => a.at - b.at);
        const at = timers[0]!.at;
        if (at > t) break;
        now = Math.max(now, at);
        // Every timer due at this instant goes together, as real timers would.
        while (timers.length > 0 && timers[0]!.at === at) timers.shift()!.resolve();
        await settle();
      }
      now = Math.max(now, t);
    },
    async drain() {
      await this.advanceTo(Number.MAX_SAFE_INTEGER / 2);
    },
  };
}

/** The most grants any window of `windowMs` (starting at a grant) contains. */
function busiestWindow(grants: number[], windowMs: number) {
  const sorted = [...grants].sort((a, b) => a - b);
  let most = 0;
  let j = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (sorted[j]! <= sorted[i]! - windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe("createTokenBucket", () => {
  it("grants at most burst + rate × window in any window, however callers arrive", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 20 }),
        // Arrival times (ms) of callers: bunches and gaps.
        fc.array(fc.integer({ min: 0, max: 3_000 }), { minLength: 1, maxLength: 400 }),
        async (rate, burst, arrivals) => {
          const time = virtualTime();
          const bucket = createTokenBucket({ ratePerSecond: rate, burst, now: time.now, sleep: time.sleep });
          const grants: number[] = [];
          const calls: Promise<void>[] = [];
          for (const at of [...arrivals].sort((a, b) => a - b)) {
            await time.advanceTo(at);
            calls.push(bucket.take().then(() => void grants.push(time.now())));
          }
          await time.drain();
          await Promise.all(calls);
          expect(grants).toHaveLength(arrivals.length);
          for (const windowMs of [1, 250, 1_000, 2_500]) {
            expect(busiestWindow(grants, windowMs)).toBeLessThanOrEqual(burst + Math.ceil((rate * windowMs) / 1000));
          }
          expect(bucket.granted).toBe(arrivals.length);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("spends its quota exactly: 5,000 callers at 500/s take 10 s less the burst", async () => {
    const time = virtualTime();
    const bucket = createTokenBucket({ ratePerSecond: 500, burst: 50, now: time.now, sleep: time.sleep });
    const grants: number[] = [];
    const calls = Array.from({ length: 5_000 }, () => bucket.take().then(() => void grants.push(time.now())));
    await time.drain();
    await Promise.all(calls);
    // Counted per whole second of the clock: the first second has the saved-up burst on top.
    const perSecond = new Map<number, number>();
    for (const t of grants) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    expect(perSecond.get(0)).toBeLessThanOrEqual(550);
    for (const [second, n] of perSecond) if (second > 0) expect(n).toBeLessThanOrEqual(500);
    expect(Math.max(...grants)).toBe(9_900);
  });

  it("refuses a rate or burst it could not honour", () => {
    expect(() => createTokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
    expect(() => createTokenBucket({ ratePerSecond: 10, burst: 0 })).toThrow(RangeError);
  });
});
