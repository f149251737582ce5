/**
 * Concurrency limits for fan-out to rate-limited APIs (Scheduler's CreateSchedule is a few
 * thousand per second per Region, shared by every planner).
 */

const positive = (concurrency: number) => {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be a positive integer");
  return concurrency;
};

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

/**
 * `fn` over `items`, at most `concurrency` at once, until `shouldStop()` (checked before each
 * item starts) or the first failure. `fn` gets a `stop()` that turns true with either, so a long
 * item (a planning shard of many pages) can end at its next boundary. Throws the first failure
 * once the items in flight have ended.
 */
export async function forEachUntil<T>(
  items: readonly T[],
  concurrency: number,
  shouldStop: () => boolean,
  fn: (item: T, stop: () => boolean) => Promise<void>,
): Promise<void> {
  const limit = positive(concurrency);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const stop = () => failure !== undefined || shouldStop();
  const worker = async () => {
    // The first round always starts: stopping before any work would make no progress at all.
    for (let first = true; next < items.length && (first || !stop()); first = false) {
      const item = items[next++] as T;
      try {
        await fn(item, stop);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}
