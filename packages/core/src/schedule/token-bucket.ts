/**
 * One token bucket shared by every caller in a process that spends the same quota: the planner's
 * parallel workers all create schedules, and Scheduler counts CreateSchedule per account and
 * Region (5,000/s in the large Regions, 250/s elsewhere; adjustable — AWS-FACTS.md). Throttling
 * answered by backoff wastes requests and time; a bucket sized to the quota never asks for more.
 */

export interface RateLimiter {
  /** Resolves when the caller may send one request. */
  take(): Promise<void>;
}

export interface TokenBucketOptions {
  /** Tokens added per second: the share of the quota this process may spend. */
  ratePerSecond: number;
  /** Most tokens saved up while idle (default: a tenth of a second's worth, at least 1). */
  burst?: number;
  /** Milliseconds; injected so tests count grants per window without waiting. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reservation-based: each `take` spends a token at once, letting the balance go negative, and
 * waits until the refill has paid its debt. Callers are granted in arrival order, and over any
 * interval of T ms at most `burst + ratePerSecond × T / 1000` are granted.
 */
export function createTokenBucket(options: TokenBucketOptions): RateLimiter & { readonly granted: number } {
  const rate = options.ratePerSecond;
  if (!Number.isFinite(rate) || rate <= 0) throw new RangeError("ratePerSecond must be a positive number");
  const burst = options.burst ?? Math.max(1, Math.floor(rate / 10));
  if (!Number.isFinite(burst) || burst < 1) throw new RangeError("burst must be at least 1");
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  let tokens = burst;
  let last = now();
  let granted = 0;
  return {
    get granted() {
      return granted;
    },
    async take() {
      const t = now();
      tokens = Math.min(burst, tokens + ((t - last) * rate) / 1000);
      last = t;
      tokens -= 1;
      // Rounded up: waking a millisecond late is harmless, a millisecond early would overspend.
      if (tokens < 0) await sleep(Math.ceil((-tokens * 1000) / rate));
      granted++;
    },
  };
}
