import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { isTransient } from "../aws/retry";
import type { IntegrationRecord } from "../integration/integration";
import { isRunConflict } from "../run/conflicts";
import * as Run from "../run/run";
import { getBySequence } from "../version/version";
import { attemptRun } from "./attempt";
import { deleteChangeSet, describeChangeSet, tokenFor } from "./changeset";
import { ACTOR, type Delivery, type ExecutionResult, invocationLease } from "./context";
import { type Attempt, finishRun } from "./finish";
import { watchOnce } from "./stack-events";
import { executeAndHandOver } from "./update";
import { actOn, MAX_WATCHES } from "./watch";

type Recovering = Delivery & { integration: IntegrationRecord };

/**
 * A run in flight whose holder's lease ran out (the invocation was killed, timed out, or lost
 * the table right after acting): this delivery takes it over with a write conditional on the
 * revision it read — of two deliveries only one wins — and reconciles with CloudFormation:
 * claimed → nothing was executed yet, attempt again (the change set's name and ClientToken are
 * the run's, so CloudFormation hands back the same one); executing → our ClientRequestToken in
 * the stack events means executed, so watch it; a ready change set means not yet, so execute it
 * after the halt checks; neither means start over with a retry; watching → watch on. A run
 * handed to a watch schedule is never recovered here: the watch (or the sweeper for it) takes it.
 */
export async function recoverRun(delivery: Delivery): Promise<ExecutionResult> {
  const { run } = delivery;
  const reason = `lease of ${run.leasedTo ?? "an earlier delivery"} expired${run.leaseUntil ? ` at ${run.leaseUntil}` : ""}`;
  if (run.state === "claimed") {
    const taken = await takeOver(delivery, reason);
    return isRun(taken) ? attemptRun({ ...delivery, run: taken }) : taken;
  }
  const { integration } = delivery;
  if (!integration?.updateRoleArn) {
    const taken = await takeOver(delivery, reason);
    if (!isRun(taken)) return taken;
    const why = "integration lost its update role while its update was in flight";
    return finishRun({ ...delivery, run: taken, to: "failed", reason: why, retry: false, code: "access_lost" });
  }
  let cfn: CloudFormationClient | undefined;
  try {
    cfn = await delivery.ctx.access.open({
      roleArn: integration.updateRoleArn,
      externalId: integration.externalId,
      sessionName: run.runId,
      sourceIdentity: delivery.ctx.sourceIdentity,
      region: integration.region,
    });
    return await reconcile({ ...delivery, integration }, cfn, reason);
  } catch (e) {
    // A throttle or an outage: the lease stays expired and the next delivery tries again. Anything
    // else (the role or the stack is gone) will not change by trying: the run ends on record.
    if (isTransient(e)) throw e;
    const taken = await takeOver(delivery, reason);
    if (!isRun(taken)) return taken;
    const why = `lost sight of the update: ${(e as Error).name}: ${(e as Error).message}`;
    return finishRun({ ...delivery, run: taken, to: "failed", reason: why, retry: false, code: "watch_lost" });
  } finally {
    cfn?.destroy();
  }
}

async function reconcile(delivery: Recovering, cfn: CloudFormationClient, reason: string): Promise<ExecutionResult> {
  const { run, integration } = delivery;
  // Read-only looks first: whoever wins the takeover acts on what CloudFormation says.
  const seen = await watchOnce(cfn, integration.stackName, run.runId);
  const executed = seen.kind !== "in_progress" || seen.status !== undefined;
  if (run.state === "watching" || executed) {
    const taken = await takeOver(delivery, reason, "watching");
    return isRun(taken) ? actOn({ ...delivery, run: taken }, seen) : taken;
  }
  return executeOrStartOver(delivery, cfn, reason);
}

/**
 * A watch found its run `executing` but none of our events on the stack: the invocation that
 * marked it stopped before ExecuteChangeSet. The change set decides, as for an expired lease.
 */
export const resumeUnexecuted = (delivery: Recovering, cfn: CloudFormationClient) =>
  executeOrStartOver(delivery, cfn, "the watch found the update never started");

/** Not executed: a ready change set is executed after the halt checks; otherwise start over with a retry. */
async function executeOrStartOver(
  delivery: Recovering,
  cfn: CloudFormationClient,
  reason: string,
): Promise<ExecutionResult> {
  const { run, integration } = delivery;
  const changeSetId = run.changeSetId ?? tokenFor(run.runId);
  const changeSet = await describeChangeSet(cfn, integration.stackName, changeSetId).catch((e: unknown) => {
    if ((e as Error).name === "ChangeSetNotFoundException" || (e as Error).name === "ChangeSetNotFound")
      return undefined;
    throw e;
  });
  // Bounded like the watches: a go that keeps failing ambiguously is not sent again forever.
  const again = (run.watches ?? 0) < MAX_WATCHES;
  if (again && changeSet?.kind === "ready" && changeSet.changeSet.ExecutionStatus === "AVAILABLE") {
    const attempt: Attempt = {
      ...delivery,
      version: delivery.version ?? (await getBySequence(delivery.deps, run.sequence)),
      finishing: false,
      executed: false,
    };
    try {
      const changes = changeSet.changeSet.Changes?.length ?? 0;
      return await executeAndHandOver(attempt, cfn, { id: changeSetId, changes }, { reason });
    } catch (e) {
      if (isRunConflict(e, "run_state_changed")) return { result: "duplicate", detail: e.code };
      throw e;
    }
  }
  // Marked executing, but CloudFormation has neither our operation nor a change set to run.
  const taken = await takeOver(delivery, reason);
  if (!isRun(taken)) return taken;
  if (changeSet) await deleteChangeSet(cfn, integration.stackName, changeSetId);
  const why = "the update was never started before its executor stopped";
  return finishRun({ ...delivery, run: taken, to: "failed", reason: why, retry: true, code: "recovered_unexecuted" });
}

/** The conditional write that makes this delivery the run's holder, recorded as `run.recovered`. */
async function takeOver(
  delivery: Delivery,
  reason: string,
  to: Run.RunRecord["state"] = delivery.run.state,
): Promise<Run.RunRecord | ExecutionResult> {
  try {
    return await Run.transition(delivery.deps, {
      run: delivery.run,
      to,
      takeover: true,
      actor: ACTOR,
      action: "run.recovered",
      reason,
      lease: invocationLease(delivery),
      data: { leaseUntil: delivery.run.leaseUntil, leasedTo: delivery.run.leasedTo },
    });
  } catch (e) {
    if (isRunConflict(e)) return { result: "duplicate", detail: e.code };
    throw e;
  }
}

const isRun = (value: Run.RunRecord | ExecutionResult): value is Run.RunRecord => !("result" in value);
