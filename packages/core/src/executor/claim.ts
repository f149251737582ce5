import type { Deps } from "../context";
import { append } from "../event/event";
import { reschedule } from "../rollout/reschedule";
import { HALT_CONFLICTS, isRunConflict } from "../run/conflicts";
import { IN_FLIGHT_STATES, leaseHeld } from "../run/lease";
import * as Run from "../run/run";
import type { RunHint } from "../schedule/run-scheduler";
import { attemptRun } from "./attempt";
import {
  ACTOR,
  type Delivery,
  type ExecutionResult,
  type ExecutorContext,
  type GateAnswer,
  invocationLease,
  withContentionRetry,
} from "./context";
import { notYet } from "./not-before";
import { readDelivery } from "./records";
import { recoverRun, resumeUnexecuted } from "./recover";
import { busyUntil, claimTurn } from "./stack-turn";
import { resumeWatch, watchDue } from "./watch";

/**
 * One invocation for one run: input is a run id (and the keys to read with it) and nothing else.
 * Every decision is a conditional transition written with its audit event; nothing reaches
 * CloudFormation before the signature and the eligibility re-check have passed. The run and its
 * integration are read once here and handed down.
 */
export async function executeRun(
  deps: Deps,
  ctx: ExecutorContext,
  runId: string,
  hint?: RunHint,
): Promise<ExecutionResult> {
  const started = Date.now();
  const { run, ...records } = await readDelivery(deps, runId, hint);
  if (!run) {
    await append(deps, { actor: ACTOR, action: "executor.unknown-run", reason: "run_not_found", runId });
    return { result: "unknown_run", detail: runId };
  }
  ctx.log.appendKeys({
    runId,
    integrationId: run.integrationId,
    tenantId: run.tenantId,
    version: run.version,
    attempt: run.attempt,
  });
  const inFlight = IN_FLIGHT_STATES.includes(run.state);
  // A run in someone's hands stays theirs until their lease runs out; a run handed to a watch
  // schedule is that schedule's to pick up once its time has come.
  const ours = watchDue(run, deps.now());
  if (!(run.state === "scheduled" || ours || (inFlight && !leaseHeld(run, deps.now())))) {
    ctx.log.info("duplicate delivery ignored", { state: run.state, leaseUntil: run.leaseUntil });
    return { result: "duplicate", detail: run.state };
  }
  const delivery: Delivery = { deps, ctx, run, ...records, started };
  if (ours) return resumeWatch(delivery, resumeUnexecuted);
  if (inFlight) return recoverRun(delivery);
  return deliver(delivery);
}

/** A scheduled run: the rollout may defer or hold it; otherwise claim it and attempt the update. */
async function deliver(delivery: Delivery): Promise<ExecutionResult> {
  // Before the signed not-before nothing may happen yet: that is a deferral, never a failure.
  const early = await notYet(delivery);
  if (early.retryAt) return defer(delivery, { ok: false, reason: "not_before", retryAt: early.retryAt });
  const gate = await delivery.ctx.hooks?.beforeClaim(delivery.run, delivery.integration);
  if (gate && !gate.ok) return defer(delivery, gate);
  const { deps, ctx, run } = delivery;
  let claimed: Run.RunRecord;
  try {
    claimed = await withContentionRetry(ctx, () =>
      claimTurn(delivery, (stackFrom) =>
        Run.claim(deps, run, ACTOR, { lease: invocationLease(delivery), slot: gate?.slot, stackFrom }),
      ),
    );
  } catch (e) {
    if (isRunConflict(e, ...HALT_CONFLICTS)) return hold(delivery, e.code);
    // Another run of this integration is acting on the stack: a wait, never a failure.
    if (isRunConflict(e, "stack_busy"))
      return defer(delivery, { ok: false, reason: "stack_busy", retryAt: busyUntil(e, deps.now()) });
    if (isRunConflict(e, "wave_full") && gate?.ok && gate.fullRetryAt)
      return defer(delivery, { ok: false, reason: "concurrency_full", retryAt: gate.fullRetryAt });
    if (isRunConflict(e)) return { result: "duplicate", detail: e.code };
    throw e;
  }
  return attemptRun({ ...delivery, run: claimed, version: early.version });
}

/**
 * Not now: the run stays `scheduled` and, when the rollout says when to look again, a new wake-up
 * is scheduled — named after its minute, so deferring twice to the same minute is one schedule.
 */
async function defer(delivery: Delivery, gate: Extract<GateAnswer, { ok: false }>): Promise<ExecutionResult> {
  const { deps, ctx, run } = delivery;
  if (!gate.retryAt) return hold(delivery, gate.reason);
  // Recorded like any reschedule (new time, new schedule name, audit event), so planning and
  // resume see when the run now waits for.
  await reschedule(deps, { scheduler: ctx.scheduler }, run, {
    at: gate.retryAt,
    actor: ACTOR,
    action: "run.deferred",
    reason: gate.reason,
    notify: false,
  });
  ctx.log.info("run deferred", { reason: gate.reason, until: gate.retryAt.toISOString() });
  return { result: "deferred", detail: gate.reason };
}

/** The run stays scheduled: resuming re-plans it. Recorded, so the operator sees what waited. */
async function hold({ deps, ctx, run }: Delivery, reason: string): Promise<ExecutionResult> {
  const subject = { runId: run.runId, integrationId: run.integrationId, tenantId: run.tenantId, version: run.version };
  await append(deps, { actor: ACTOR, action: "run.held", reason, ...subject });
  ctx.log.info("run held", { reason });
  return { result: "held", detail: reason };
}
