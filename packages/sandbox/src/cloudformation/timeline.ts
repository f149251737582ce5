import type { SandboxClock } from "../contract";

const nextMacrotask = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Lets stack operations be written as plain async code that waits on the injected clock
 * (`await timeline.until(t)`), while time only moves when the engine is called or ticked: a waiter
 * is released by `settle()` once the clock has reached it, so a test's manual clock drives every
 * `*_IN_PROGRESS` phase deterministically.
 */
export class Timeline {
  private waiters: Array<{ at: number; release: () => void }> = [];
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly clock: SandboxClock) {}

  now(): Date {
    return this.clock.now();
  }

  /** Resolves at the first settle at or after `at` (never synchronously: the caller's response goes out first). */
  until(at: Date): Promise<void> {
    return new Promise((release) => this.waiters.push({ at: at.getTime(), release }));
  }

  /** The earliest time a waiting operation wants to move on, if any waits. */
  nextWake(): Date | undefined {
    const at = Math.min(...this.waiters.map((w) => w.at));
    return Number.isFinite(at) ? new Date(at) : undefined;
  }

  after(seconds: number): Promise<void> {
    return this.until(new Date(this.clock.now().getTime() + seconds * 1000));
  }

  /** Work that takes real time (a custom resource handler); `settle({ waitForWork: true })` waits for it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const done = () => void this.inFlight.delete(work);
    work.then(done, done);
    return work;
  }

  /**
   * Runs everything due by now. API calls settle without waiting for tracked work (a custom
   * resource handler may itself call the sandbox); tests and the control API wait for it.
   */
  async settle(options: { waitForWork?: boolean } = {}): Promise<void> {
    for (;;) {
      const now = this.clock.now().getTime();
      const due = this.waiters.filter((w) => w.at <= now).sort((a, b) => a.at - b.at);
      if (due.length > 0) {
        this.waiters = this.waiters.filter((w) => w.at > now);
        for (const waiter of due) waiter.release();
        await nextMacrotask();
        continue;
      }
      if (options.waitForWork && this.inFlight.size > 0) {
        await Promise.race([...this.inFlight]).catch(() => undefined);
        await nextMacrotask();
        continue;
      }
      return;
    }
  }
}
