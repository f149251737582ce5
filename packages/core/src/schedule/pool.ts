/**
 * Concurrency limits for fan-out to rate-limited APIs (Scheduler's CreateSchedule is a few
 * thousand per second per Region, shared by every planner).
 */

const positive = (concurrency: number) => {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be a positive integer");
  return concurrency;
};

/** A limiter: at most `concurrency` of the tasks passed to `run` are running at any moment. */
export function createBoundedPool(concurrency: number) {
  const limit = positive(concurrency);
  let active = 0;
  const waiting: (() => void)[] = [];

  // A finishing task hands its slot straight to the next waiter instead of freeing it, so the
  // count never depends on when the waiter gets to run.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };

  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      else active++;
      try {
        return await task();
      } finally {
        release();
      }
    },
  };
}

/**
 * `fn` over `items` with at most `concurrency` in flight; results in input order. After the
 * first failure no new items start; the ones in flight finish, then that failure is thrown.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const limit = positive(concurrency);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;

  const worker = async () => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
