import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { isTransient } from "../aws/retry";
import { isStackfleetError } from "../error";
import type { IntegrationRecord } from "../integration/integration";
import { isRunConflict } from "../run/conflicts";
import * as Run from "../run/run";
import { ACTOR, type Delivery, type ExecutionResult } from "./context";
import { finishRun } from "./finish";
import { type WatchState, watchOnce } from "./stack-events";

/** At most this many watch hand-overs (≈ a day at the default poll interval) before giving up. */
const MAX_WATCHES = 288;

/** Resumes watching a run a previous invocation handed over. */
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
    run = await Run.transition(deps, { run: delivery.run, to: "watching", actor: ACTOR, action: "run.watch-resumed" });
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
    return await pollUntilDone({ ...delivery, run, integration }, cfn);
  } finally {
    cfn.destroy();
  }
}

/**
 * Polls our own stack events until the update ends, or hands over to a one-shot "watch"
 * schedule before this invocation runs out of time.
 */
export async function pollUntilDone(
  delivery: Delivery & { integration: IntegrationRecord },
  cfn: CloudFormationClient,
): Promise<ExecutionResult> {
  const { ctx, run, integration } = delivery;
  for (let wait = ctx.pollMs.initial; ; wait = Math.min(wait * 2, ctx.pollMs.max)) {
    // A throttled or briefly failing poll is not the update failing: look again after the backoff.
    // A stack that is gone or a role we may no longer use ends the watch.
    const state = await watchOnce(cfn, integration.stackName, run.runId).catch((e: unknown): WatchState => {
      if (!isTransient(e)) return { kind: "lost", reason: `${(e as Error).name}: ${(e as Error).message}` };
      ctx.log.warn("watch poll failed", { error: (e as Error).message });
      return { kind: "in_progress" };
    });
    if (state.kind !== "in_progress") return finishWatched(delivery, state);
    if (ctx.remainingMs() < wait + ctx.safetyMarginMs) return handOver(delivery, state.status);
    await ctx.sleep(wait);
  }
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

/** Stack updates can outlast a Lambda: a one-shot "watch" schedule continues where we stop. */
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
  await ctx.scheduler.scheduleRun({
    runId: run.runId,
    at: new Date(deps.now().getTime() + ctx.pollMs.max),
    kind: "watch",
    attempt: watches,
  });
  await Run.transition(deps, {
    run,
    to: "watching",
    actor: ACTOR,
    action: "run.watch-handover",
    set: { watches },
    data: { stackStatus },
  });
  return { result: "watch_scheduled", runId: run.runId };
}
