/**
 * A per-source token bucket for the unauthenticated callback route, in process. In AWS the API
 * stage's throttle (and a WAF rate-based rule, where the vendor runs one) bounds the route for
 * every instance together; this one bounds what one API instance does for one source, and is
 * what protects the local runtime. A customer stack calls back a handful of times per operation.
 */
export interface RateLimitOptions {
  /** Requests a source may make at once. */
  burst: number;
  /** Tokens a source regains per second. */
  perSecond: number;
  /** Sources remembered; the least recently seen is forgotten first, so memory stays bounded. */
  maxSources?: number;
}

export const DEFAULT_CALLBACK_RATE_LIMIT: RateLimitOptions = { burst: 20, perSecond: 1, maxSources: 10_000 };

export interface RateLimiter {
  /** Takes one token for `source`; false when it has none left. */
  take(source: string): boolean;
}

export function tokenBucket(options: RateLimitOptions, now: () => Date): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const maxSources = options.maxSources ?? DEFAULT_CALLBACK_RATE_LIMIT.maxSources ?? 10_000;
  return {
    take(source) {
      const at = now().getTime();
      const seen = buckets.get(source);
      const refilled = seen
        ? Math.min(options.burst, seen.tokens + ((at - seen.at) / 1000) * options.perSecond)
        : options.burst;
      // Re-inserting keeps the Map in least-recently-seen order.
      buckets.delete(source);
      if (buckets.size >= maxSources) buckets.delete(buckets.keys().next().value as string);
      const allowed = refilled >= 1;
      buckets.set(source, { tokens: allowed ? refilled - 1 : refilled, at });
      return allowed;
    },
  };
}

const limiters = new WeakMap<object, RateLimiter>();

/** One limiter per registration context (one per API instance), created on first use. */
export function limiterFor(owner: object, options: RateLimitOptions | undefined, now: () => Date): RateLimiter {
  let limiter = limiters.get(owner);
  if (!limiter) limiters.set(owner, (limiter = tokenBucket(options ?? DEFAULT_CALLBACK_RATE_LIMIT, now)));
  return limiter;
}
