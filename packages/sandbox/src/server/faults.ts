/**
 * Transport-level faults a test can switch on: AWS's "Rate exceeded" throttling and slow
 * responses. Each switch is consumed by the calls it affects.
 */
export class TransportFaults {
  private readonly throttles: Array<{ remaining: number; service?: string }> = [];
  private readonly delays: Array<{ remaining: number; ms: number; service?: string }> = [];

  throttleNext(count: number, service?: string): void {
    if (count > 0) this.throttles.push({ remaining: count, service });
  }

  delayNext(ms: number, count = 1, service?: string): void {
    if (count > 0 && ms > 0) this.delays.push({ remaining: count, ms, service });
  }

  /** True when this call must be throttled (and uses up one throttled call). */
  takeThrottle(service: string): boolean {
    return this.take(this.throttles, service) !== undefined;
  }

  takeDelayMs(service: string): number {
    return this.take(this.delays, service)?.ms ?? 0;
  }

  private take<T extends { remaining: number; service?: string }>(list: T[], service: string): T | undefined {
    const entry = list.find((e) => !e.service || e.service === service);
    if (!entry) return undefined;
    entry.remaining--;
    if (entry.remaining <= 0) list.splice(list.indexOf(entry), 1);
    return entry;
  }
}
