import { isThrottle } from "../aws/retry";
import { retryContention } from "../db/transaction";
import { isStackfleetError } from "../error";
import type { EventRecord } from "../event/event";
import { getById, type IntegrationPatch, type IntegrationRecord } from "../integration/integration";
import { isRunConflict } from "../run/conflicts";
import * as Run from "../run/run";
import { plannedRunId } from "../run/run-id";
import { scheduleName } from "../schedule/names";
import { runHint } from "../schedule/run-scheduler";
import type { VersionRecord } from "../version/version";
import { ACTOR, type Delivery, type ExecutionResult, type FinalState } from "./context";
import { recordApplied } from "./floor";

export interface FinishInput extends Delivery {
  to: FinalState;
  reason: string;
  /** Plan another attempt (while attempts remain). */
  retry: boolean;
  code?: string;
  /** The stack already matched: recorded as `noop`, counted as a success. */
  noop?: boolean;
  /** Throttled: the next attempt comes soon, outside the backoff ladder. */
  soon?: boolean;
  integrationPatch?: IntegrationPatch;
  /** Audit-only facts written with the outcome (the outcome's own event is the one notification). */
  facts?: Run.TransitionInput["facts"];
}

/** One claimed attempt; the flags say whether an error may still be recorded as the attempt's failure. */
export interface Attempt extends Delivery {
  integration: IntegrationRecord;
  version: VersionRecord;
  /** Set once the run's outcome is being written: an error then is not the update's failure. */
  finishing: boolean;
  /** Set once CloudFormation accepted our change set: from then on the update runs whatever we do. */
  executed: boolean;
}

export type Outcome = Omit<FinishInput, keyof Delivery>;

/** Ends the attempt with `outcome`; from here on an error is no longer the update's failure. */
export function finishAttempt(attempt: Attempt, outcome: Outcome): Promise<ExecutionResult> {
  attempt.finishing = true;
  return finishRun({ ...attempt, ...outcome });
}

export function failAttempt(attempt: Attempt, error: unknown): Promise<ExecutionResult> {
  attempt.finishing = true;
  return failRetryable(attempt, error);
}

/**
 * The end of an attempt: the run's final state, its audit event and the customer notification,
 * the integration's new version (on success) and the next attempt (on a retryable failure) —
 * one transaction. The retry's schedule is created after; if that fails, the run stays
 * `scheduled` and re-planning picks it up.
 */
export async function finishRun(input: FinishInput): Promise<ExecutionResult> {
  const { ctx, run } = input;
  const retryAt = input.retry ? nextAttemptAt(input) : undefined;
  // The rollout's id scheme: the same retry can only ever be created once.
  const next = retryAt ? nextRun(input, retryAt) : undefined;
  // The stack is at this version now: the updater's own high-water mark rises before anything else.
  if (input.to === "succeeded") await recordApplied(input);
  let announced: EventRecord[];
  try {
    announced = await retryContention(() => writeOutcome(input, next), {
      sleep: ctx.sleep,
      retryable: (e) => isRunConflict(e, "integration_changed", "transaction_conflict"),
    });
  } catch (e) {
    // Another delivery finished this run first (two watchers racing): ours is the duplicate.
    if (isRunConflict(e, "run_state_changed")) return { result: "duplicate", detail: e.code };
    throw e;
  }
  if (next)
    await ctx.scheduler.scheduleRun({
      runId: next.run.runId!,
      at: retryAt!,
      kind: "retry",
      attempt: run.attempt + 1,
      hint: runHint(run),
    });
  else
    await ctx.hooks?.afterFinal(
      run,
      input.to === "succeeded" || input.to === "failed" ? input.to : "finished",
      input.reason,
    );
  const result = input.noop ? "noop" : input.to;
  ctx.log.info("run finished", { result, reason: input.reason, code: input.code, retryAt: retryAt?.toISOString() });
  ctx.metric?.(`run_${result}`, 1, "Count");
  ctx.metric?.("run_duration", Date.now() - input.started, "Milliseconds");
  // What was announced rides along: the handler delivers it without reading the outbox back.
  return { result, runId: run.runId, reason: input.reason, announced };
}

/** The outcome's transaction; returns the customer-visible events it committed. */
async function writeOutcome(input: FinishInput, next: Run.TransitionInput["next"]): Promise<EventRecord[]> {
  const { deps, run, to, reason } = input;
  const applied = to === "succeeded" ? { version: run.version, sequence: run.sequence } : undefined;
  const patch = input.integrationPatch;
  // The customer stack's own registration callback (fired by this very update) may have changed
  // the integration meanwhile: a patch built from it reads it consistently right before the write.
  // A plain success does not: "now at this version" is written whatever changed (see `applied`).
  const current =
    input.integration && patch
      ? await getById(deps, input.integration.integrationId, { consistent: true })
      : input.integration;
  const { announced } = await Run.transitionAnnounced(deps, {
    run,
    to,
    actor: ACTOR,
    action: input.noop ? "run.noop" : `run.${to}`,
    reason,
    notify: true,
    data: { code: input.code, durationMs: Date.now() - input.started, retryAt: next?.run.scheduledFor.toISOString() },
    set: { reason, outcome: input.noop ? "noop" : to, finishedAt: deps.now().toISOString() },
    integration: current && patch ? { current, patch: { ...patch, ...versionFields(applied) } } : undefined,
    applied: current && !patch ? applied : undefined,
    next,
    facts: input.facts,
  });
  return announced;
}

const versionFields = (applied: { version: string; sequence: number } | undefined) =>
  applied ? { currentVersion: applied.version, currentSequence: applied.sequence } : {};

function nextRun(input: FinishInput, at: Date): NonNullable<Run.TransitionInput["next"]> {
  const { run } = input;
  const attempt = run.attempt + 1;
  const runId = plannedRunId(run.version, run.integrationId, attempt);
  return {
    run: {
      runId,
      integrationId: run.integrationId,
      tenantId: run.tenantId,
      version: run.version,
      sequence: run.sequence,
      attempt,
      scheduledFor: at,
      wave: run.wave,
      scheduleName: scheduleName(runId, "retry", attempt),
    },
    event: {
      actor: ACTOR,
      action: "run.retry-planned",
      reason: input.reason,
      notify: true,
      data: { attempt, at: at.toISOString(), previousRunId: run.runId },
    },
  };
}

function nextAttemptAt({ deps, ctx, run, soon }: FinishInput): Date | undefined {
  if (run.attempt > ctx.retryDelaysMs.length) return undefined;
  const delay = soon ? ctx.throttleRetryMs : ctx.retryDelaysMs[run.attempt - 1]!;
  return new Date(deps.now().getTime() + delay);
}

/** An unexpected error ends the attempt on record with a retry; throttling is retried soon. */
export function failRetryable(delivery: Delivery, error: unknown): Promise<ExecutionResult> {
  const throttled = isThrottle(error);
  const named = error as { code?: unknown; name?: string; message?: string };
  const code = throttled
    ? "throttled"
    : isStackfleetError(error)
      ? error.code
      : typeof named.code === "string"
        ? named.code
        : (named.name ?? "error");
  delivery.ctx.log.warn("attempt failed", { code, error: named.message });
  return finishRun({
    ...delivery,
    to: "failed",
    reason: `${code}: ${named.message}`,
    retry: true,
    code,
    soon: throttled,
  });
}
