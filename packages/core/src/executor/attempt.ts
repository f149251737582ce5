import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { isStackfleetError } from "../error";
import { eligibility } from "../rollout/eligibility";
import { quarantineVersion } from "../version/quarantine";
import { type VerifiedRelease, verifyRelease } from "../version/verify";
import { getBySequence } from "../version/version";
import { ACTOR, type Delivery, type ExecutionResult, isResult } from "./context";
import { type Attempt, failAttempt, failRetryable, finishAttempt as finish, finishRun } from "./finish";
import { checkFloor, readFloorAhead } from "./floor";
import { updateStack } from "./update";

/**
 * verify → eligibility → access → change set → execute, for a run this delivery has claimed.
 * Any unexpected error before execution still ends the attempt on record, with a retry.
 */
export async function attemptRun(delivery: Delivery): Promise<ExecutionResult> {
  const { integration } = delivery;
  if (!integration)
    return finishRun({ ...delivery, to: "cancelled", reason: "integration no longer exists", retry: false });
  let attempt: Attempt | undefined;
  try {
    // The run holds the version's primary key: one GetItem, not a query by semver.
    const version = delivery.version ?? (await getBySequence(delivery.deps, delivery.run.sequence));
    attempt = { ...delivery, integration, version, finishing: false, executed: false };
    return await steps(attempt);
  } catch (e) {
    if (!attempt) return failRetryable(delivery, e);
    // Past the go-ahead (the run is `executing`, its change set on record) an error may hide an
    // ExecuteChangeSet CloudFormation applied (a lost response): the outcome is not ours to guess.
    // The run keeps its lease; the recovery after it reads the stack events for our token.
    if (attempt.finishing || attempt.executed || attempt.run.state === "executing") throw e;
    return failAttempt(attempt, e);
  }
}

async function steps(attempt: Attempt): Promise<ExecutionResult> {
  // The floor's state is read while the template is fetched and verified: one round trip less.
  const floorRead = readFloorAhead(attempt);
  // 1. Verify bytes first; only verified bytes are ever parsed or sent.
  const release = await verify(attempt);
  if (isResult(release)) return release;
  // The updater's own floor: emergency stop, minimum grace, approval, high-water mark.
  const floored = await checkFloor(attempt, release, floorRead);
  if (floored) return floored;
  // 2. Eligibility in the table, now — not as the planner saw it.
  const verdict = eligibility(attempt.integration, attempt.version);
  if (!verdict.eligible) return finish(attempt, { to: verdict.state, reason: verdict.reason, retry: false });
  // 3. Into the customer account, with their ExternalId from the table.
  const cfn = await openAccess(attempt);
  if (isResult(cfn)) return cfn;
  try {
    return await updateStack(attempt, cfn, release);
  } finally {
    cfn.destroy();
  }
}

async function verify(attempt: Attempt): Promise<VerifiedRelease | ExecutionResult> {
  const { version, integration, run, ctx } = attempt;
  try {
    return verifyRelease({
      manifestBytes: Buffer.from(version.manifest, "base64"),
      signature: Buffer.from(version.signature, "base64"),
      keyId: version.keyId,
      templateBytes: await ctx.templates.get(version.templateSha256),
      pinnedKeys: ctx.pinnedKeys,
      now: attempt.deps.now(),
      current: integration.currentVersion
        ? { version: integration.currentVersion, sequence: integration.currentSequence }
        : null,
      expect: { product: ctx.product, stackPrefix: ctx.stackPrefix, version: run.version, sequence: run.sequence },
    });
  } catch (e) {
    if (!isStackfleetError(e)) throw e;
    // The table records this version or a newer one (a newer version's run got there first): the
    // run has nothing to do — ineligible, as step 2 would say — not a failure that counts toward
    // the version's tolerance and halts it for everyone else.
    const already = e.code === "rollback" ? eligibility(integration, version) : undefined;
    if (already && !already.eligible)
      return finish(attempt, { to: already.state, reason: `${already.reason} (rollback: ${e.message})`, retry: false });
    const reason = `verification failed: ${e.code}: ${e.message}`;
    const result = await finish(attempt, { to: "failed", reason, retry: false, code: e.code });
    // Bytes or a signature that fail here fail for every customer: stop the version for all of them.
    if (INTEGRITY_FAILURES.has(e.code))
      await quarantineVersion(attempt.deps, version.version, `${e.code}: ${e.message}`);
    return result;
  }
}

/** Failures of the version itself; an unpinned key, an expired window or a rollback are about this run. */
const INTEGRITY_FAILURES = new Set([
  "signature_malformed",
  "signature_invalid",
  "manifest_invalid",
  "key_mismatch",
  "manifest_unexpected",
  "template_mismatch",
]);

async function openAccess(attempt: Attempt): Promise<CloudFormationClient | ExecutionResult> {
  const { integration, ctx } = attempt;
  try {
    return await ctx.access.open({
      roleArn: integration.updateRoleArn!,
      externalId: integration.externalId,
      sessionName: attempt.run.runId,
      sourceIdentity: ctx.sourceIdentity,
      region: integration.region,
    });
  } catch (e) {
    if (!isStackfleetError(e, "forbidden")) return failAttempt(attempt, e);
    // One outcome, one write, one notification: the run's `run.failed` (code access_lost) tells
    // the customer; the integration's new status and the access.lost audit ride in its transaction,
    // so a crash can neither leave one without the other nor append the loss twice on a retry.
    return finish(attempt, {
      to: "failed",
      reason: e.message,
      retry: false,
      code: "access_lost",
      integrationPatch: { status: "access-lost", statusReason: e.message },
      facts: [{ actor: ACTOR, action: "access.lost", reason: e.code, data: { message: e.message } }],
    });
  }
}
