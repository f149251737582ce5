import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { isTransient } from "../aws/retry";
import { isStackfleetError } from "../error";
import type { IntegrationRecord } from "../integration/integration";
import { isRunConflict } from "../run/conflicts";
import * as Run from "../run/run";
import { ACTOR, type Delivery, type ExecutionResult, type ExecutorContext, invocationLease } from "./context";
import { finishRun } from "./finish";
import { type WatchState, watchOnce } from "./stack-events";

/** At most this many watch hand-overs (about a day at the longest interval) before giving up. */
const MAX_WATCHES = 288;

type Watched = Delivery & { integration: IntegrationRecord };

/**
 * Right after ExecuteChangeSet: one short wait and one look, so a small update ends in this
 * invocation; anything longer is handed to a "watch" schedule. A Lambda that sleeps while
 * CloudFormation works is billed for nothing, and every poll spends the customer's API quota.
 */
export async function watchAfterExecute(delivery: Watched, cfn: CloudFormationClient): Promise<ExecutionResult> {
  const { ctx } = delivery;
  if (ctx.remainingMs() < ctx.watchMs.first + ctx.safetyMarginMs) return handOver(delivery, undefined);
  await ctx.sleep(ctx.watchMs.first);
  return lookOnce(delivery, cfn);
}

/** A "watch" schedule fired: one look at the stack, then finish or hand over to the next watch. */
export async function resumeWatch(delivery: Delivery): Promise<ExecutionResult> {
  const { deps, ctx, integration } = delivery;
  if (!integration?.updateRoleArn)
    return finishRun({
      ...delivery,
      to: "failed",
      reason: "integration lost its update role while watching",
      retry: false,
      code: "access_lost",
    });
  let run: Run.RunRecord;
  // Claim the watch: a duplicate delivery of the watch schedule loses this conditional write.
  try {
    run = await Run.transition(deps, {
      run: delivery.run,
      to: "watching",
      actor: ACTOR,
      action: "run.watch-resumed",
      lease: invocationLease(delivery),
    });
  } catch (e) {
    if (isRunConflict(e)) return { result: "duplicate", detail: e.code };
    throw e;
  }
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
      run,
      to: "failed",
      reason: `cannot watch: ${(e as Error).message}`,
      retry: !isStackfleetError(e, "forbidden"),
      code: isStackfleetError(e) ? e.code : "sts_failed",
    });
  }
  try {
    return await lookOnce({ ...delivery, run, integration }, cfn);
  } finally {
    cfn.destroy();
  }
}

async function lookOnce(delivery: Watched, cfn: CloudFormationClient): Promise<ExecutionResult> {
  const { ctx, run, integration } = delivery;
  // A throttled or briefly failing read is not the update failing: the next watch looks again.
  // A stack that is gone or a role we may no longer use ends the watch.
  const state = await watchOnce(cfn, integration.stackName, run.runId).catch((e: unknown): WatchState => {
    if (!isTransient(e)) return { kind: "lost", reason: `${(e as Error).name}: ${(e as Error).message}` };
    ctx.log.warn("watch read failed", { error: (e as Error).message });
    return { kind: "in_progress" };
  });
  if (state.kind === "in_progress") return handOver(delivery, state.status);
  return finishWatched(delivery, state);
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

/** The wait before the n-th watch: `next`, doubling, at most `max`. */
export const watchDelayMs = (watchMs: ExecutorContext["watchMs"], n: number) =>
  Math.min(watchMs.next * 2 ** Math.min(n - 1, 30), watchMs.max);

/** A one-shot "watch" schedule, named after the run and its count, continues where we stop. */
async function handOver(delivery: Delivery, stackStatus: string | undefined): Promise<ExecutionResult> {
  const { deps, ctx, run } = delivery;
  const watches = (run.watches ?? 0) + 1;
  if (watches > MAX_WATCHES)
    return finishRun({
      ...delivery,
      to: "failed",
      reason: `no outcome after ${MAX_WATCHES} watch hand-overs`,
      retry: false,
      code: "watch_timeout",
    });
  const at = new Date(deps.now().getTime() + watchDelayMs(ctx.watchMs, watches));
  await ctx.scheduler.scheduleRun({
    runId: run.runId,
    at,
    kind: "watch",
    attempt: watches,
  });
  await Run.transition(deps, {
    run,
    to: "watching",
    actor: ACTOR,
    action: "run.watch-handover",
    set: { watches },
    // The watch schedule holds the run until it fires; the sweeper steps in if it never does.
    lease: { until: at, to: "schedule" },
    data: { stackStatus },
  });
  return { result: "watch_scheduled", runId: run.runId };
}
