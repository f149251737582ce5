import type { Deps } from "../context";
import { retryContention } from "../db/transaction";
import type { EventRecord } from "../event/event";
import type { IntegrationRecord } from "../integration/integration";
import type { Log } from "../log";
import type { Lease, WaveSlot } from "../run/lease";
import type { RunRecord } from "../run/run";
import type { RunScheduler } from "../schedule/run-scheduler";
import type { PinnedKey } from "../signing/pinned";
import type { TemplateStore } from "../template-store/template-store";
import type { VersionRecord } from "../version/version";
import type { CustomerAccess } from "./access";
import type { ExecutorFloor } from "./floor";

export interface ExecutorContext {
  product: string;
  stackPrefix: string;
  /** From the executor's own configuration — never from the table or the schedule. */
  pinnedKeys: readonly PinnedKey[];
  /** The updater's own floor (minimum grace, approval, anti-rollback, emergency stop): its config and its table. */
  floor: ExecutorFloor;
  templates: TemplateStore;
  access: CustomerAccess;
  scheduler: RunScheduler;
  /** Shown in the customer's CloudTrail as the session's source identity. */
  sourceIdentity: string;
  /** Delay before each retry attempt (attempt 2 waits retryDelaysMs[0], …); its length + 1 is the attempt limit. */
  retryDelaysMs: readonly number[];
  /** Throttling is retried soon, outside the backoff ladder. */
  throttleRetryMs: number;
  /** Time left in this invocation; watching hands over to a schedule before it runs out. */
  remainingMs(): number;
  /** Keep this much in hand when deciding to poll once more. */
  safetyMarginMs: number;
  pollMs: { initial: number; max: number };
  /**
   * After ExecuteChangeSet the invocation ends: a "watch" schedule reads the status `first` later,
   * later ones `next` apart, doubling up to `max` — status is read by schedules, never by a
   * sleeping Lambda.
   */
  watchMs: { first: number; next: number; max: number };
  sleep(ms: number): Promise<void>;
  log: Log;
  /** Outcome metrics (Powertools Metrics in Lambda). */
  metric?(name: string, value: number, unit: "Count" | "Milliseconds"): void;
  /** The rollout's say around each run (`rollout/executor-hooks.ts`); absent: no waves, no windows. */
  hooks?: ExecutorHooks;
}

/**
 * `slot`: the wave's in-flight slot the claim must take in its own transaction; if none is free
 * by then, the run is deferred to `fullRetryAt`.
 */
export type GateAnswer =
  | { ok: true; slot?: WaveSlot; fullRetryAt?: Date }
  | { ok: false; reason: string; retryAt?: Date };

export interface ExecutorHooks {
  /**
   * May this run start now? `retryAt`: defer to then; none: hold (the answer will not change by
   * itself). Given the integration the executor already read, so the hook need not read it again.
   */
  beforeClaim(run: RunRecord, integration: IntegrationRecord | undefined): Promise<GateAnswer>;
  /** A final outcome (no retry follows), for the wave's tally. */
  afterFinal(run: RunRecord, outcome: "succeeded" | "failed" | "finished", reason: string): Promise<void>;
}

export type FinalState = "succeeded" | "failed" | "skipped" | "ineligible" | "cancelled";

export type ExecutionResult =
  | { result: "duplicate" | "held" | "deferred" | "unknown_run"; detail?: string }
  | { result: "watch_scheduled"; runId: string }
  | {
      result: FinalState | "noop";
      runId: string;
      reason: string;
      /** The customer-visible events the outcome committed, for the handler to deliver. */
      announced: readonly EventRecord[];
    };

/** What every step of one delivery works with: the records it was handed, never re-read. */
export interface Delivery {
  deps: Deps;
  ctx: ExecutorContext;
  run: RunRecord;
  integration: IntegrationRecord | undefined;
  /** Wall-clock start of this invocation, for the duration metric. */
  started: number;
  /** The run's version when this delivery already read it (the not-before check does). */
  version?: VersionRecord;
}

/** How long a lease outlives the invocation's deadline: clock skew between this process and the next. */
export const LEASE_MARGIN_MS = 60_000;

/** This invocation's lease: its deadline plus a margin, on the injected clock. */
export const invocationLease = ({ deps, ctx }: Pick<Delivery, "deps" | "ctx">): Lease => ({
  until: new Date(deps.now().getTime() + Math.max(0, ctx.remainingMs()) + LEASE_MARGIN_MS),
  to: "invocation",
});

export const ACTOR = "system:executor" as const;

export const isResult = (value: object): value is ExecutionResult => "result" in value;

/** A run write that met another transaction on the same item is tried again shortly. */
export const withContentionRetry = <T>(ctx: Pick<ExecutorContext, "sleep">, write: () => Promise<T>) =>
  retryContention(write, { sleep: ctx.sleep });
