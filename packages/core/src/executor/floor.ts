import type { CloudFormationClient, Stack } from "@aws-sdk/client-cloudformation";
import { isStackfleetError } from "../error";
import { append } from "../event/event";
import { wakeOf } from "../rollout/planned-runs";
import * as Run from "../run/run";
import { scheduleName } from "../schedule/names";
import { runHint } from "../schedule/run-scheduler";
import type { PinnedKey } from "../signing/pinned";
import { versionDigest } from "../updater/digest";
import {
  type EmergencyStop,
  type FloorState,
  raiseHighWater,
  readEmergencyStop,
  readFloorState,
  recordFirstSeen,
  type UpdaterStore,
} from "../updater/store";
import { type Approval, verifyApproval } from "../version/approval";
import { OPERATOR_ALERT } from "../version/quarantine";
import semver from "../version/semver";
import type { VerifiedRelease } from "../version/verify";
import { deleteChangeSet } from "./changeset";
import { ACTOR, type ExecutionResult, withContentionRetry } from "./context";
import { type Attempt, finishAttempt } from "./finish";

/**
 * The executor's own floor, pinned in the updater's configuration and state — never taken from
 * the main table or the manifest, both of which a compromised API or release key could shape.
 */
export interface ExecutorFloor {
  /** The updater-owned table: first-seen times, high-water marks, the emergency stop. */
  store: UpdaterStore;
  /** No execution before the updater has known the version digest this long, whatever `notBefore` says. */
  minGraceMs: number;
  /** Keys whose second signature a broadening manifest needs; distinct from the release keys. */
  approverKeys: readonly PinnedKey[];
  /** While the emergency stop is set, a claimed run looks again this often. */
  stopRecheckMs: number;
}

export type FloorRefusal = "approval_missing" | "rollback_refused";

export type FloorVerdict =
  | { decision: "proceed" }
  | { decision: "wait"; kind: "held" | "deferred"; reason: string; until: Date }
  | { decision: "refuse"; code: FloorRefusal; reason: string };

export interface FloorFacts {
  now: Date;
  state: FloorState;
  firstSeenAt: Date;
  release: { version: string; sequence: number; broadening: boolean };
  /** Why the approval does not hold; undefined when there is a valid one (or none is needed). */
  approvalProblem: string | undefined;
}

/** The decision, apart from the reads and writes around it. Stop first, then time, then content. */
export function judgeFloor(
  facts: FloorFacts,
  floor: Pick<ExecutorFloor, "minGraceMs" | "stopRecheckMs">,
): FloorVerdict {
  const { now, state, release } = facts;
  if (state.stop) {
    const until = new Date(now.getTime() + floor.stopRecheckMs);
    return { decision: "wait", kind: "held", reason: `emergency stop: ${state.stop.reason}`, until };
  }
  const earliest = new Date(facts.firstSeenAt.getTime() + floor.minGraceMs);
  if (now < earliest) {
    const reason = `minimum grace: first seen ${facts.firstSeenAt.toISOString()}`;
    return { decision: "wait", kind: "deferred", reason, until: earliest };
  }
  if (release.broadening && facts.approvalProblem)
    return { decision: "refuse", code: "approval_missing", reason: `broadening version: ${facts.approvalProblem}` };
  const mark = state.highWater;
  if (mark && release.sequence <= mark.sequence) {
    const reason = `version ${release.version} (sequence ${release.sequence}) is not above ${mark.version} (sequence ${mark.sequence}) already applied`;
    return { decision: "refuse", code: "rollback_refused", reason };
  }
  return { decision: "proceed" };
}

/** The floor's state under the digest it was read for. */
export interface FloorRead {
  digest: string;
  state: FloorState;
}

/**
 * The floor's state for the digest the version record names, read while the template is fetched
 * and verified (the run is claimed already: nothing of it is older than the claim). Only a hint:
 * `checkFloor` uses it only for the verified manifest's own digest. Undefined: no usable digest.
 */
export function readFloorAhead(attempt: Attempt): Promise<FloorRead> | undefined {
  const { version, integration, ctx } = attempt;
  let digest: string;
  try {
    digest = versionDigest(version.templateSha256, Buffer.from(version.manifest, "base64"));
  } catch {
    return undefined;
  }
  const read = readFloorState(ctx.floor.store, digest, integration.integrationId).then((state) => ({ digest, state }));
  // Awaited only if verification passes; a failure otherwise surfaces nowhere, as no read happened.
  read.catch(() => undefined);
  return read;
}

/** Right after the signature verified: the floor's answer, acted on. Undefined: go on. */
export async function checkFloor(
  attempt: Attempt,
  release: VerifiedRelease,
  ahead?: Promise<FloorRead>,
): Promise<ExecutionResult | undefined> {
  const { floor } = attempt.ctx;
  const manifestBytes = Buffer.from(attempt.version.manifest, "base64");
  const digest = versionDigest(release.manifest.template.sha256, manifestBytes);
  const early = await ahead;
  const state =
    early?.digest === digest
      ? early.state
      : await readFloorState(floor.store, digest, attempt.integration.integrationId);
  // Met for the first time here (the announcement was lost or never sent): the full floor from now.
  const firstSeenAt = state.firstSeenAt ?? (await recordFirstSeen(floor.store, digest, attempt.version.version));
  const verdict = judgeFloor(
    {
      now: attempt.deps.now(),
      state,
      firstSeenAt,
      release: release.manifest,
      approvalProblem: release.manifest.broadening ? approvalProblem(attempt, manifestBytes) : undefined,
    },
    floor,
  );
  if (verdict.decision === "proceed") return undefined;
  if (verdict.decision === "wait") return wait(attempt, verdict);
  return refuse(attempt, verdict.code, verdict.reason);
}

/**
 * The live stack's own `TemplateVersion` output, read from the DescribeStacks the executor made
 * anyway: a version below it is a rollback whatever the table says. The same version is not —
 * its change set comes back empty and the run is the no-op it is.
 */
export async function checkLiveVersion(attempt: Attempt, stack: Stack): Promise<ExecutionResult | undefined> {
  const live = stack.Outputs?.find((o) => o.OutputKey === "TemplateVersion")?.OutputValue;
  if (!live || !semver.valid(live) || !semver.lt(attempt.run.version, live)) return undefined;
  return refuse(attempt, "rollback_refused", `version ${attempt.run.version} is below the live stack's ${live}`);
}

/**
 * The last look before CloudFormation gets the go: a stop set after the floor check (while the
 * change set was being prepared) still wins. Like a halt at that point, the attempt ends with a
 * retry, which the floor then holds for as long as the stop stays. `stop` is what `readStop` found,
 * read by the caller alongside the watch's CreateSchedule (update.ts).
 */
export async function stopBeforeExecute(
  attempt: Attempt,
  cfn: CloudFormationClient,
  changeSetId: string,
  stop: EmergencyStop | undefined,
): Promise<ExecutionResult | undefined> {
  if (!stop) return undefined;
  await deleteChangeSet(cfn, attempt.integration.stackName, changeSetId);
  const reason = `emergency stop before execution: ${stop.reason}`;
  return finishAttempt(attempt, { to: "failed", reason, retry: true, code: "emergency_stop" });
}

/** The emergency stop as it is now (a strongly consistent read). */
export const readStop = (attempt: Pick<Attempt, "ctx">) => readEmergencyStop(attempt.ctx.floor.store);

/** On success, before the outcome is written: the stack is at this version now, whatever happens next. */
export async function recordApplied(attempt: Pick<Attempt, "ctx" | "run">): Promise<void> {
  const { ctx, run } = attempt;
  await raiseHighWater(ctx.floor.store, run.integrationId, { sequence: run.sequence, version: run.version });
}

function approvalProblem(attempt: Attempt, manifestBytes: Uint8Array): string | undefined {
  const approval = (attempt.version as { approval?: Approval }).approval;
  if (!approval) return "no approver signature";
  try {
    verifyApproval({ manifestBytes, approval, pinnedApproverKeys: attempt.ctx.floor.approverKeys });
    return undefined;
  } catch (e) {
    if (!isStackfleetError(e)) throw e;
    return e.message;
  }
}

/**
 * Not yet: the claimed run goes back to `scheduled` under a new wake-up at `until`. Never a
 * failure: no attempt is used up and no tolerance is counted.
 */
async function wait(attempt: Attempt, verdict: Extract<FloorVerdict, { decision: "wait" }>): Promise<ExecutionResult> {
  const { deps, ctx, run } = attempt;
  const wake = wakeOf(run);
  const name = scheduleName(run.runId, wake.kind, wake.n + 1);
  attempt.finishing = true;
  attempt.run = await withContentionRetry(ctx, () =>
    Run.transition(deps, {
      run,
      to: "scheduled",
      actor: ACTOR,
      action: verdict.kind === "held" ? "run.held" : "run.deferred",
      reason: verdict.reason,
      data: { until: verdict.until.toISOString() },
      set: { scheduledFor: verdict.until.toISOString(), scheduleName: name },
    }),
  );
  await ctx.scheduler.scheduleRun({
    runId: run.runId,
    at: verdict.until,
    kind: wake.kind,
    attempt: wake.n + 1,
    hint: runHint(run),
  });
  ctx.log.info(`run ${verdict.kind} by the executor floor`, {
    reason: verdict.reason,
    until: verdict.until.toISOString(),
  });
  return { result: verdict.kind, detail: verdict.reason };
}

/** A refusal: final (never retried), on record, and an operator alert (event + metric the alarm watches). */
async function refuse(attempt: Attempt, code: FloorRefusal, reason: string): Promise<ExecutionResult> {
  const { deps, ctx, run } = attempt;
  await append(deps, {
    actor: ACTOR,
    action: OPERATOR_ALERT,
    reason: code,
    version: run.version,
    data: { runId: run.runId, integrationId: run.integrationId, message: reason },
  });
  ctx.metric?.(RUNS_REFUSED, 1, "Count");
  return finishAttempt(attempt, { to: "failed", reason: `${code}: ${reason}`, retry: false, code });
}

/** infra/metrics.ts `METRICS.runsRefused`, which `RunsRefusedAlarm` watches (a test holds them equal). */
export const RUNS_REFUSED = "RunsRefused";
