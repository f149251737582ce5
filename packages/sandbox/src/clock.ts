import type { SandboxClock } from "./contract";

/**
 * Wall-clock time: schedules fire on their own, from a timer loop. It can be jumped forward (the
 * local runtime's `clock advance` on a plain `npm start`): time then keeps running from there, so
 * a grace period can pass without restarting on a manual clock. It never goes back.
 */
export class RealClock implements SandboxClock {
  readonly kind = "real" as const;
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  /** How far ahead of the wall clock it has been jumped (saved, so a restart does not move time back). */
  aheadMs(): number {
    return this.offsetMs;
  }

  advance(ms: number): Date {
    if (!(ms >= 0)) throw new Error("the sandbox clock never goes back");
    this.offsetMs += ms;
    return this.now();
  }

  /** Jumps to `to` if it is ahead; a target the running clock has already passed leaves it alone. */
  set(to: Date): Date {
    this.offsetMs = Math.max(this.offsetMs, to.getTime() - Date.now());
    return this.now();
  }
}

/**
 * Time that moves only when told, so "fires at 10:00, not at 09:59" is deterministic. Session
 * expiry, stack event times and schedule due times all read this clock. One instance can be shared
 * by the sandbox and the code under test (the local runtime's API and executor): whoever moves it,
 * listeners hear it, so the sandbox fires what became due.
 */
export class ManualClock implements SandboxClock {
  readonly kind = "manual" as const;
  private current: number;
  private readonly listeners = new Set<(now: Date) => void>();

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): Date {
    if (!(ms >= 0)) throw new Error("the sandbox clock never goes back");
    return this.set(new Date(this.current + ms));
  }

  set(to: Date): Date {
    if (to.getTime() < this.current) throw new Error("the sandbox clock never goes back");
    const moved = to.getTime() !== this.current;
    this.current = to.getTime();
    if (moved) for (const listener of this.listeners) listener(this.now());
    return this.now();
  }

  /** Called after every move; returns the unsubscribe function. */
  onAdvance(listener: (now: Date) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
