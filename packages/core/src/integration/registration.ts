import type { LiveStack } from "../access/live-stack";
import { type AssumeProbe, type ProofOptions, proveTrust } from "../access/probe";
import type { Deps } from "../context";
import { conflict, forbidden, isStackfleetError, StackfleetError } from "../error";
import { jsonLog, type Log } from "../log";
import type { VersionRecord } from "../version/version";
import { claimAccount } from "./account-claim";
import { checkClaimShape, findForCallback, type RegistrationCallback, stackNameOfId } from "./callback";
import type { RateLimitOptions } from "./callback-rate-limit";
import {
  applyDelete,
  applyUpdate,
  CLAIM_ATTEMPTS,
  claimPatch,
  confirmedVersion,
  isContention,
  readLive,
  replacesDeadStack,
} from "./claims";
import { getById, type IntegrationRecord } from "./integration";
import { recordRefusal } from "./refusals";

export { verifyAccess } from "./access-check";
export { RegistrationCallback } from "./callback";
export { STACK_OPT_OUT } from "./opt-out";
export { refusalsOf } from "./refusals";

export interface RegistrationContext {
  /** The vendor's read-only view through the integration role: trust proofs and the live stack. */
  probe: AssumeProbe;
  stackPrefix: string;
  proof?: ProofOptions;
  /** Where refusal metrics go; JSON lines on stdout (CloudWatch in Lambda) when not given. */
  log?: Log;
  /** The callback route's in-process per-source limit (API Gateway/WAF throttle in AWS too). */
  rateLimit?: RateLimitOptions;
}

const defaultLog = jsonLog("stackfleet-registration");

/**
 * The customer stack calling back (Create/Update/Delete). A callback is a claim, not a command:
 * the ExternalId only names the integration; the two-sided AssumeRole proof and the live stack,
 * read through the integration role, decide. Refusals are counted (bounded), then thrown as 4xx.
 */
export async function register(
  deps: Deps,
  ctx: RegistrationContext,
  callback: RegistrationCallback,
): Promise<IntegrationRecord> {
  const integration = await findForCallback(deps, callback);
  try {
    checkClaimShape(integration, callback, ctx.stackPrefix);
    if (callback.requestType === "Delete") return await applyDelete(deps, ctx.probe, integration, callback);
    if (integration.status === "removed")
      throw conflict("integration_removed", "This integration was removed; create a new one");
    if (integration.status === "pending") return await connect(deps, ctx, integration, callback);
    // The new stack still has to prove everything a first registration proves.
    if (await replacesDeadStack(ctx.probe, integration, callback))
      return await connect(deps, ctx, integration, callback);
    return await applyUpdate(deps, ctx.probe, integration, callback);
  } catch (e) {
    // An outage (STS, CloudFormation, DynamoDB) is not the caller's doing: it retries, nothing is counted.
    if (isStackfleetError(e) && e.kind !== "unavailable")
      await recordRefusal(deps, ctx.log ?? defaultLog, integration, callback, e);
    throw e;
  }
}

/**
 * First registration: the role must trust us with the ExternalId and refuse us without it, the
 * stack it names must be this integration's and run the published version it claims. Only then
 * is the account+Region taken.
 */
async function connect(
  deps: Deps,
  ctx: RegistrationContext,
  integration: IntegrationRecord,
  callback: RegistrationCallback,
): Promise<IntegrationRecord> {
  const proof = await proveTrust(
    ctx.probe,
    callback.integrationRoleArn,
    integration.externalId,
    "stackfleet-registration",
    ctx.proof,
  );
  if (!proof.trusted) {
    if (proof.code === "probe_failed") throw new StackfleetError("unavailable", "probe_failed", proof.message);
    throw forbidden(proof.code, proof.message);
  }
  const live = await readLive(ctx.probe, integration, callback.integrationRoleArn, callback.stackId);
  if (live.kind !== "found")
    throw conflict("stack_not_live", "The stack could not be confirmed through its integration role");
  if (live.stack.stackId !== callback.stackId || stackNameOfId(live.stack.stackId) !== integration.stackName)
    throw forbidden("stack_mismatch", "This is not the stack the integration expects");
  const version = await confirmedVersion(deps, integration, callback, live.stack);
  // A write that met another on the integration or its guard (a retried callback of the same
  // request, the tenant changing it) is contention, not a refusal: a 409 would fail the
  // customer's Create. Tried again on a fresh read while nothing else changed; else a 503, and
  // the stack's function retries the whole callback, decided afresh.
  for (let attempt = 1; ; attempt++) {
    try {
      return await claimAccount(
        deps,
        integration,
        connectPatch(integration, callback, live.stack, version),
        {
          actor: "customer-stack",
          action: "integration.connected",
          notify: true,
          data: {
            requestType: callback.requestType,
            templateVersion: version.version,
            enableAutoUpdate: live.stack.enableAutoUpdate ?? callback.enableAutoUpdate,
          },
        },
        ctx.log ?? defaultLog,
      );
    } catch (e) {
      if (!isContention(e)) throw e;
      const fresh = await getById(deps, integration.integrationId, { consistent: true });
      // Our own connect landed meanwhile (its answer was lost to a retry): that is the answer.
      if (fresh?.status === "connected" && fresh.stackId === live.stack.stackId) return fresh;
      const unchanged = fresh?.status === integration.status && fresh.stackId === integration.stackId;
      if (!fresh || !unchanged || attempt >= CLAIM_ATTEMPTS)
        throw new StackfleetError("unavailable", "integration_busy", "The integration is being changed; retry");
      integration = fresh;
    }
  }
}

const connectPatch = (
  integration: IntegrationRecord,
  callback: RegistrationCallback,
  live: LiveStack,
  version: VersionRecord,
) => ({
  ...claimPatch(integration, callback, live, version),
  status: "connected" as const,
  statusReason: undefined,
  integrationRoleArn: callback.integrationRoleArn,
  stackId: live.stackId,
  stackOperationAt: live.operationAt.toISOString(),
  lastRequestId: callback.requestId ?? undefined,
});
