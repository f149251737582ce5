/**
 * The one retry loop and the one AWS error classification core uses. Exponential backoff with
 * full jitter (sleep a uniformly random time up to min(cap, base·2^n)) is AWS's recommended
 * scheme for throttled clients: it spreads a herd of callers instead of retrying in lockstep.
 */

export interface BackoffOptions {
  /** Total tries, the first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep(ms: number): Promise<void>;
  /** In [0, 1); injected so tests see the exact delays. */
  random(): number;
}

export const DEFAULT_BACKOFF = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 5_000 } as const;

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function withBackoff<T>(
  operation: () => Promise<T>,
  retryable: (error: unknown) => boolean,
  options: BackoffOptions,
  onRetry?: (error: unknown) => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!retryable(error) || attempt + 1 >= options.maxAttempts) throw error;
      onRetry?.(error);
      const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** attempt);
      await options.sleep(Math.floor(options.random() * ceiling));
    }
  }
}

type AwsLikeError = { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };

const described = (error: unknown) => {
  const e = (error ?? {}) as AwsLikeError;
  return { text: `${String(e.name ?? "")} ${String(e.message ?? "")}`, status: e.$metadata?.httpStatusCode ?? 0 };
};

/**
 * The service asked us to slow down: `ThrottlingException`, CloudFormation's "Rate exceeded",
 * HTTP 429, or 503 (Scheduler and S3 answer overload that way).
 */
export function isThrottle(error: unknown): boolean {
  const { text, status } = described(error);
  return /Throttl|Rate exceeded|TooManyRequests/i.test(text) || status === 429 || status === 503;
}

/** Worth trying again as is: throttling, a timeout, a dropped connection or a 5xx. */
export function isTransient(error: unknown): boolean {
  const { text, status } = described(error);
  return isThrottle(error) || /TimeoutError|ECONNRESET|ECONNREFUSED/i.test(text) || status >= 500;
}
