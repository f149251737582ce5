import type { SandboxClock } from "./contract";

/** Wall-clock time: schedules fire on their own, from a timer loop. */
export class RealClock implements SandboxClock {
  readonly kind = "real" as const;
  now(): Date {
    return new Date();
  }
}

/**
 * Time that moves only when a test says so, so "fires at 10:00, not at 09:59" is deterministic.
 * Session expiry, stack event times and schedule due times all read this clock.
 */
export class ManualClock implements SandboxClock {
  readonly kind = "manual" as const;
  private current: number;

  constructor(start: Date = new Date()) {
    this.current = start.getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): Date {
    if (ms < 0) throw new Error("the sandbox clock never goes back");
    this.current += ms;
    return this.now();
  }

  set(to: Date): Date {
    if (to.getTime() < this.current) throw new Error("the sandbox clock never goes back");
    this.current = to.getTime();
    return this.now();
  }
}
