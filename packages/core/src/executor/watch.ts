import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { isTransient } from "../aws/retry";
import { isStackfleetError } from "../error";
import type { IntegrationRecord } from "../integration/integration";
import { isRunConflict } from "../run/conflicts";
import { type Lease, leaseHeld } from "../run/lease";
import * as Run from "../run/run";
import { runHint } from "../schedule/run-scheduler";
import { ACTOR, type Delivery, type ExecutionResult, type ExecutorContext } from "./context";
import { finishRun } from "./finish";
import { type WatchState, watchOnce } from "./stack-events";

/** At most this many watches (about a day at the longest interval) before giving up. */
export const MAX_WATCHES = 288;

/**
 * How early a delivery may come and still be the watch: clock skew between Scheduler and this
 * process. Well below the shortest first watch (config: 30 s), so a duplicate delivery arriving
 * while the invocation that scheduled the watch is still sending ExecuteChangeSet is never taken
 * for it.
 */
export const WATCH_EARLY_MS = 10_000;

export type Watched = Delivery & { integration: IntegrationRecord };

/**
 * A run handed to a watch schedule (`executing` after the go, or `watching`) is that schedule's
 * from its time on; a delivery before then is a duplicate. The sweeper's re-delivery of a watch
 * that never fired comes later still, and stands in for it.
 */
export const watchDue = (run: Run.RunRecord, now: Date) =>
  run.leasedTo === "schedule" &&
  (run.state === "executing" || run.state === "watching") &&
  !leaseHeld(run, new Date(now.getTime() + WATCH_EARLY_MS));

/** The wait before the n-th watch: `first`, then `next` doubling up to `max` (1, 2, 4, 5, 5… minutes). */
export const watchDelayMs = (watchMs: ExecutorContext["watchMs"], n: number) =>
  n <= 1 ? watchMs.first : Math.min(watchMs.next * 2 ** Math.min(n - 2, 30), watchMs.max);

/**
 * The next one-shot "watch" schedule, named after the run and its count, and the lease that hands
 * the run to it. Created before the write that records the lease: a watch whose write then loses
 * finds the run no longer leased to it and does nothing.
 */
export async function scheduleWatch({ deps, ctx, run }: Delivery): Promise<{ lease: Lease; watches: number }> {
  const watches = (run.watches ?? 0) + 1;
  const at = new Date(deps.now().getTime() + watchDelayMs(ctx.watchMs, watches));
  await ctx.scheduler.scheduleRun({ runId: run.runId, at, kind: "watch", attempt: watches, hint: runHint(run) });
  return { lease: { until: at, to: "schedule" }, watches };
}

/**
 * A watch schedule fired: into the customer account (an invocation of its own, so a session of
 * its own), one look at the stack, then the outcome or the next watch. No write before the look:
 * a duplicate delivery of the same watch reads too, and the run's conditional writes let only
 * one of them act on what it saw.
 */
export async function resumeWatch(delivery: Delivery, unexecuted: Unexecuted): Promise<ExecutionResult> {
  const { ctx, integration, run } = delivery;
  if (!integration?.updateRoleArn)
    return finishRun({
      ...delivery,
      to: "failed",
      reason: "integration lost its update role while watching",
      retry: false,
      code: "access_lost",
    });
  let cfn: CloudFormationClient;
  try {
    cfn = await ctx.access.open({
      roleArn: integration.updateRoleArn,
      externalId: integration.externalId,
      sessionName: run.runId,
      sourceIdentity: ctx.sourceIdentity,
      region: integration.region,
    });
  } catch (e) {
    return finishRun({
      ...delivery,
      to: "failed",
      reason: `cannot watch: ${(e as Error).message}`,
      retry: !isStackfleetError(e, "forbidden"),
      code: isStackfleetError(e) ? e.code : "sts_failed",
    });
  }
  try {
    return await lookOnce({ ...delivery, integration }, cfn, unexecuted);
  } finally {
    cfn.destroy();
  }
}

export type Unexecuted = (delivery: Watched, cfn: CloudFormationClient) => Promise<ExecutionResult>;

/**
 * One status read, then the outcome or the next watch. A run still `executing` with none of our
 * events on the stack was never started (its invocation stopped before the go): `unexecuted`
 * reconciles it.
 */
async function lookOnce(
  delivery: Watched,
  cfn: CloudFormationClient,
  unexecuted: Unexecuted,
): Promise<ExecutionResult> {
  const { ctx, run, integration } = delivery;
  let state: WatchState;
  try {
    state = await watchOnce(cfn, integration.stackName, run.runId);
  } catch (e) {
    // A throttled or briefly failing read is not the update failing: the next watch looks again.
    // A stack that is gone or a role we may no longer use ends the watch.
    if (!isTransient(e))
      return finishWatched(delivery, { kind: "lost", reason: `${(e as Error).name}: ${(e as Error).message}` });
    ctx.log.warn("watch read failed", { error: (e as Error).message });
    return handOver(delivery, undefined);
  }
  if (unexecuted && run.state === "executing" && state.kind === "in_progress" && state.status === undefined)
    return unexecuted(delivery, cfn);
  return actOn(delivery, state);
}

/** What a look saw, acted on: the outcome, or the next watch. */
export function actOn(delivery: Delivery, state: WatchState): Promise<ExecutionResult> {
  return state.kind === "in_progress" ? handOver(delivery, state.status) : finishWatched(delivery, state);
}

function finishWatched(delivery: Delivery, state: Exclude<WatchState, { kind: "in_progress" }>) {
  if (state.kind === "succeeded")
    return finishRun({ ...delivery, to: "succeeded", reason: "stack updated", retry: false });
  if (state.kind === "rolled_back")
    return finishRun({
      ...delivery,
      to: "failed",
      reason: `update rolled back (${state.status}): ${state.reason}`,
      retry: true,
      code: "rolled_back",
    });
  return finishRun({
    ...delivery,
    to: "failed",
    reason: `lost sight of the update: ${state.reason}`,
    retry: false,
    code: "watch_lost",
  });
}

/** Still running: the next watch schedule continues where this one stops. */
async function handOver(delivery: Delivery, stackStatus: string | undefined): Promise<ExecutionResult> {
  const { deps, run } = delivery;
  if ((run.watches ?? 0) >= MAX_WATCHES)
    return finishRun({
      ...delivery,
      to: "failed",
      reason: `no outcome after ${MAX_WATCHES} watches`,
      retry: false,
      code: "watch_timeout",
    });
  const { lease, watches } = await scheduleWatch(delivery);
  // Only a look that found our operation makes the run `watching`. A run still `executing` whose
  // look failed (throttled, say) stays so: its go may never have reached CloudFormation (a
  // throttled ExecuteChangeSet), and the next watch must still be able to reconcile it.
  const unseen = run.state === "executing" && stackStatus === undefined;
  try {
    await Run.transition(deps, {
      run,
      to: unseen ? "executing" : "watching",
      takeover: unseen,
      actor: ACTOR,
      action: "run.watch-handover",
      set: { watches },
      // The watch schedule holds the run until it fires; the sweeper steps in if it never does.
      lease,
      data: { stackStatus },
    });
  } catch (e) {
    // A duplicate delivery of this watch got there first: the next watch is the same schedule.
    if (isRunConflict(e, "run_state_changed")) return { result: "duplicate", detail: e.code };
    throw e;
  }
  return { result: "watch_scheduled", runId: run.runId };
}
