import type { RunRecord } from "./run";
import type { RunState } from "./run.entity";

/** The states whose holder must keep a lease: the run is in someone's hands. */
export const IN_FLIGHT_STATES: readonly RunState[] = ["claimed", "executing", "watching"];

/**
 * Who may act on a run in flight, and until when. An invocation's lease ends at its deadline
 * plus a margin; once it has passed, the holder is gone (Lambda stopped it) and the next
 * delivery may take the run over. A run handed over to a "watch" schedule is leased to that
 * schedule until the time it fires.
 */
export interface Lease {
  until: Date;
  to: "invocation" | "schedule";
}

/** For writers that do not know their deadline: longer than any invocation (Lambda's limit is 15 minutes). */
export const DEFAULT_LEASE_MS = 20 * 60_000;

export const defaultLease = (now: Date): Lease => ({
  until: new Date(now.getTime() + DEFAULT_LEASE_MS),
  to: "invocation",
});

export const leaseFields = (lease: Lease) => ({ leaseUntil: lease.until.toISOString(), leasedTo: lease.to });

/** True while another holder may still be acting; a run without a lease (written before leases) has none. */
export const leaseHeld = (run: Pick<RunRecord, "leaseUntil">, now: Date) =>
  run.leaseUntil !== undefined && Date.parse(run.leaseUntil) > now.getTime();

/** One in-flight slot of a wave, as the wave gate computed its limit (`failed` = failures it saw). */
export interface WaveSlot {
  wave: "canary" | "main";
  limit: number;
  failed: number;
}
