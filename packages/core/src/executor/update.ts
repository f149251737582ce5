import type { CloudFormationClient, DescribeChangeSetCommandOutput } from "@aws-sdk/client-cloudformation";
import { isTransient } from "../aws/retry";
import { STACK_OPT_OUT } from "../customer-stack/contract";
import { HALT_CONFLICTS, isRunConflict } from "../run/conflicts";
import type { Lease } from "../run/lease";
import * as Run from "../run/run";
import type { VerifiedRelease } from "../version/verify";
import {
  createChangeSet,
  dangerousChanges,
  deleteChangeSet,
  describeChangeSet,
  executeChangeSet,
  parametersFor,
} from "./changeset";
import { ACTOR, type ExecutionResult, isResult, withContentionRetry } from "./context";
import { type Attempt, finishAttempt as finish } from "./finish";
import { checkLiveVersion, readStop, stopBeforeExecute } from "./floor";
import { checkLiveStack, type LiveStackCheck } from "./stack";
import { watchOnce } from "./stack-events";
import { scheduleWatch } from "./watch";

const DANGEROUS = "change set touches the update or service role";

type LiveStack = Extract<LiveStackCheck, { ok: true }> & { serviceRoleArn: string };
type ReadyChangeSet = { id: string; changeSet: DescribeChangeSetCommandOutput };

/** From the verified release to an executed stack update handed to its watch, in the customer account `cfn` acts in. */
export async function updateStack(
  attempt: Attempt,
  cfn: CloudFormationClient,
  release: VerifiedRelease,
): Promise<ExecutionResult> {
  // 4. The live stack: prefix, the customer's own EnableAutoUpdate, an updatable status.
  const live = await liveStack(attempt, cfn);
  if (isResult(live)) return live;
  const rollback = await checkLiveVersion(attempt, live.stack);
  if (rollback) return rollback;
  // 5. A change set of exactly the verified bytes, every existing parameter kept.
  const ready = await prepareChangeSet(attempt, cfn, release, live);
  if (isResult(ready)) return ready;
  // 6. The last moment: the emergency stop, then halts and the table's eligibility in the same
  // transaction that marks the run executing. Only then does CloudFormation get the go.
  return executeAndHandOver(attempt, cfn, { id: ready.id, changes: ready.changeSet.Changes?.length ?? 0 });
}

/**
 * No waiting in Lambda: the emergency stop is read a last time while the first watch is
 * scheduled (neither depends on the other; both are answered before anything is written or sent:
 * a stop found then deletes the change set, and its stray watch finds the run not leased to it),
 * the run is marked executing under that schedule's lease (its change set on record),
 * CloudFormation gets the go, and the invocation ends; the watch reads the status when a typical
 * update is done. A crash (or a table outage) after the go leaves the run to its watch, which
 * finds our ClientRequestToken in the stack events; a crash before it leaves a ready change set,
 * which the watch executes after the halt checks (recover.ts).
 */
export async function executeAndHandOver(
  attempt: Attempt,
  cfn: CloudFormationClient,
  changeSet: { id: string; changes: number },
  takeover?: { reason: string },
): Promise<ExecutionResult> {
  const [stop, watch] = await Promise.allSettled([readStop(attempt), scheduleWatch(attempt)]);
  if (stop.status === "rejected") throw stop.reason;
  const stopped = await stopBeforeExecute(attempt, cfn, changeSet.id, stop.value);
  if (stopped) return stopped;
  if (watch.status === "rejected") throw watch.reason;
  const refused = await markExecuting(attempt, cfn, changeSet, watch.value, takeover);
  if (refused) return refused;
  try {
    await executeChangeSet(cfn, attempt.integration.stackName, changeSet.id, attempt.run.runId);
  } catch (e) {
    const refused = await refusedExecution(attempt, cfn, changeSet.id, e);
    if (refused) return refused;
    throw e;
  }
  attempt.executed = true;
  attempt.ctx.log.info("executed; watched from", { leaseUntil: attempt.run.leaseUntil });
  return { result: "watch_scheduled", runId: attempt.run.runId };
}

/**
 * CloudFormation said no to ExecuteChangeSet (a 4xx that is not throttling: AccessDenied once the
 * customer narrowed the update role, a ValidationError): the go did not happen, and executing the
 * same change set again at every watch would loop without end and without a word to the customer.
 * Unless our token is on the stack already (an earlier go whose answer was lost), the run ends here,
 * told once; a refused role is not retried. Anything ambiguous — a timeout, a 5xx,
 * InvalidChangeSetStatus (the change set may be executing already) — stays with the watch.
 */
async function refusedExecution(
  attempt: Attempt,
  cfn: CloudFormationClient,
  changeSetId: string,
  error: unknown,
): Promise<ExecutionResult | undefined> {
  const { name = "", message = "" } = error as { name?: string; message?: string };
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  if (isTransient(error) || status < 400 || status >= 500 || /InvalidChangeSetStatus/.test(name)) return undefined;
  const stackName = attempt.integration.stackName;
  const seen = await watchOnce(cfn, stackName, attempt.run.runId);
  if (seen.kind !== "in_progress" || seen.status !== undefined) return undefined;
  await deleteChangeSet(cfn, stackName, changeSetId);
  const forbidden = status === 403 || /AccessDenied/.test(name);
  return finish(attempt, {
    to: "failed",
    reason: `CloudFormation refused ExecuteChangeSet: ${name}: ${message}`,
    retry: !forbidden,
    code: forbidden ? "execute_forbidden" : "execute_refused",
  });
}

async function liveStack(attempt: Attempt, cfn: CloudFormationClient): Promise<LiveStack | ExecutionResult> {
  const { integration, ctx } = attempt;
  const live = await checkLiveStack(cfn, integration.stackName, ctx.stackPrefix);
  if (!live.ok) {
    if (live.kind === "auto_update_off")
      return finish(attempt, {
        to: "ineligible",
        reason: live.reason,
        retry: false,
        integrationPatch: { autoUpdate: false, autoUpdateReason: STACK_OPT_OUT },
      });
    if (live.kind === "not_updatable")
      return finish(attempt, { to: "failed", reason: live.reason, retry: true, code: "stack_not_updatable" });
    return finish(attempt, { to: "failed", reason: live.reason, retry: false, code: live.kind });
  }
  const serviceRoleArn = live.stack.RoleARN ?? integration.serviceRoleArn;
  if (!serviceRoleArn) {
    const reason = "the stack has no CloudFormation service role";
    return finish(attempt, { to: "failed", reason, retry: false, code: "no_service_role" });
  }
  return { ...live, serviceRoleArn };
}

async function prepareChangeSet(
  attempt: Attempt,
  cfn: CloudFormationClient,
  release: VerifiedRelease,
  live: LiveStack,
): Promise<ReadyChangeSet | ExecutionResult> {
  const { integration, ctx } = attempt;
  const stackName = integration.stackName;
  // Fatal: bytes that are not UTF-8 must fail here, not reach CloudFormation altered.
  const templateBody = new TextDecoder("utf-8", { fatal: true }).decode(release.templateBytes);
  const id = await createChangeSet(cfn, {
    stackName,
    runId: attempt.run.runId,
    templateBody,
    // The signed list, checked against these bytes at publication: no template parser here.
    parameters: parametersFor(release.manifest.templateParameters, live.parameters, release.manifest),
    capabilities: release.manifest.capabilities,
    serviceRoleArn: live.serviceRoleArn,
  });
  // CloudFormation takes a few seconds to compute a change set: a look at once would only spend a
  // read of the customer's quota. One wait first makes a single DescribeChangeSet the usual case.
  await ctx.sleep(ctx.pollMs.initial);
  let state = await describeChangeSet(cfn, stackName, id);
  for (let wait = ctx.pollMs.initial; state.kind === "pending"; wait = Math.min(wait * 2, ctx.pollMs.max)) {
    if (ctx.remainingMs() < wait + ctx.safetyMarginMs) {
      await deleteChangeSet(cfn, stackName, id);
      const reason = "the change set was not ready within this invocation";
      return finish(attempt, { to: "failed", reason, retry: true, code: "change_set_slow" });
    }
    await ctx.sleep(wait);
    state = await describeChangeSet(cfn, stackName, id);
  }
  if (state.kind === "no_changes") {
    await deleteChangeSet(cfn, stackName, id);
    const reason = "the stack already matches this version";
    return finish(attempt, { to: "succeeded", reason, retry: false, noop: true });
  }
  if (state.kind === "failed") {
    const reason = `change set failed: ${state.reason}`;
    return finish(attempt, { to: "failed", reason, retry: false, code: "change_set_failed" });
  }
  const dangers = dangerousChanges(state.changeSet);
  if (dangers.length === 0) return { id, changeSet: state.changeSet };
  await deleteChangeSet(cfn, stackName, id);
  const reason = `${DANGEROUS}: ${dangers.join(", ")}`;
  return finish(attempt, { to: "failed", reason, retry: false, code: "dangerous_change_set" });
}

/**
 * claimed → executing (or, taking over an expired lease, executing again) with the halt and
 * eligibility checks; a refusal deletes the change set and ends the attempt.
 */
async function markExecuting(
  attempt: Attempt,
  cfn: CloudFormationClient,
  changeSet: { id: string; changes: number },
  watch: { lease: Lease; watches: number },
  takeover?: { reason: string },
): Promise<ExecutionResult | undefined> {
  const changeSetId = changeSet.id;
  try {
    attempt.run = await withContentionRetry(attempt.ctx, () =>
      Run.transition(attempt.deps, {
        run: attempt.run,
        to: "executing",
        actor: ACTOR,
        action: takeover ? "run.recovered" : "run.executing",
        reason: takeover?.reason,
        // On record before the go: a recovery after a crash knows which change set was ours.
        set: { changeSetId, watches: watch.watches },
        data: { changes: changeSet.changes },
        requireNotHalted: true,
        requireEligible: true,
        // Handed to the watch schedule already: nothing is written after the go.
        lease: watch.lease,
        takeover: Boolean(takeover),
      }),
    );
    return undefined;
  } catch (e) {
    if (!isRunConflict(e, ...HALT_CONFLICTS, "integration_ineligible")) throw e;
    await deleteChangeSet(cfn, attempt.integration.stackName, changeSetId);
    if (e.code === "integration_ineligible")
      return finish(attempt, { to: "ineligible", reason: e.message, retry: false, code: e.code });
    // Halted between claim and execution: a later attempt is held until the halt is lifted.
    const reason = `halted before execution: ${e.message}`;
    return finish(attempt, { to: "failed", reason, retry: true, code: e.code });
  }
}
