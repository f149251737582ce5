import { describe, expect, it } from "vitest";
import { limiterFor, tokenBucket } from "../src/integration/callback-rate-limit";

describe("callback rate limit (token bucket per source)", () => {
  it("allows a burst, then refills at the configured rate, per source", () => {
    let now = 0;
    const bucket = tokenBucket({ burst: 3, perSecond: 1 }, () => new Date(now));
    expect([1, 2, 3, 4].map(() => bucket.take("10.0.0.1"))).toEqual([true, true, true, false]);
    expect(bucket.take("10.0.0.2")).toBe(true);
    now += 999;
    expect(bucket.take("10.0.0.1")).toBe(false);
    now += 1;
    expect(bucket.take("10.0.0.1")).toBe(true);
    now += 60_000;
    expect([1, 2, 3, 4].map(() => bucket.take("10.0.0.1"))).toEqual([true, true, true, false]);
  });

  it("remembers a bounded number of sources, forgetting the least recently seen", () => {
    const bucket = tokenBucket({ burst: 1, perSecond: 0, maxSources: 2 }, () => new Date(0));
    expect(bucket.take("a")).toBe(true);
    expect(bucket.take("b")).toBe(true);
    expect(bucket.take("a")).toBe(false);
    expect(bucket.take("c")).toBe(true); // forgets b
    expect(bucket.take("b")).toBe(true);
    expect(bucket.take("a")).toBe(true); // a was forgotten when b came back
  });

  it("keeps one limiter per owner (one per API instance)", () => {
    const owner = {};
    const now = () => new Date(0);
    expect(limiterFor(owner, { burst: 1, perSecond: 0 }, now)).toBe(limiterFor(owner, undefined, now));
    expect(limiterFor({}, { burst: 1, perSecond: 0 }, now)).not.toBe(limiterFor(owner, undefined, now));
  });
});
