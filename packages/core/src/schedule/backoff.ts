/**
 * Retry with exponential backoff and full jitter (sleep a uniformly random time up to
 * min(cap, base·2^n)), AWS's recommended scheme for throttled clients: it spreads a herd of
 * planners instead of letting them retry in lockstep.
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
