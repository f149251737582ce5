import type { LiveStack } from "../access/live-stack";
import type { AssumeProbe } from "../access/probe";
import type { Deps } from "../context";
import { isTransactionConflict } from "../db/transaction";
import { conflict, forbidden, isStackfleetError, StackfleetError } from "../error";
import { findBySemver as findVersion, type VersionRecord } from "../version/version";
import type { RegistrationCallback } from "./callback";
import { getById, type IntegrationPatch, type IntegrationRecord, update } from "./integration";
import { autoUpdateFromStack } from "./opt-out";

const ROLLING_BACK = /ROLLBACK/;
/** A failed create's rollback deletes everything too: the stack ends ROLLBACK_COMPLETE, unusable. */
const GOING_AWAY = new Set(["DELETE_IN_PROGRESS", "ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"]);

/**
 * The stack an integration names, read through its integration role with its ExternalId. Only
 * a failure to read is thrown (503: the stack may retry); gone and denied are answers.
 */
export async function readLive(probe: AssumeProbe, integration: IntegrationRecord, roleArn: string, stackId: string) {
  const outcome = await probe.readStack({
    roleArn,
    externalId: integration.externalId,
    region: integration.region,
    stackId,
    sessionName: "stackfleet-callback-check",
  });
  if (outcome.kind === "error")
    throw new StackfleetError("unavailable", "stack_unreadable", "The stack could not be read right now; retry");
  return outcome;
}

/**
 * A Delete is a claim that the stack is going away: accepted only when the live stack is
 * DELETE_IN_PROGRESS or gone. A role already gone proves nothing either way: `access-lost`,
 * pending a check, never `removed` on the callback's word.
 */
export async function applyDelete(
  deps: Deps,
  probe: AssumeProbe,
  integration: IntegrationRecord,
  callback: RegistrationCallback,
): Promise<IntegrationRecord> {
  // A failed Create rolls back with a Delete; a pending integration has nothing to undo.
  if (integration.status === "pending" || integration.status === "removed") return integration;
  if (!integration.integrationRoleArn || !integration.stackId || callback.stackId !== integration.stackId)
    throw forbidden("stack_mismatch", "This is not the stack the integration registered");
  const live = await readLive(probe, integration, integration.integrationRoleArn, integration.stackId);
  if (live.kind === "gone" || (live.kind === "found" && GOING_AWAY.has(live.stack.status))) {
    return update(
      deps,
      integration,
      { status: "removed", statusReason: "customer deleted the stack", autoUpdate: false },
      { actor: "customer-stack", action: "integration.removed", reason: "stack deleted", notify: true },
      { releaseGuard: true },
    );
  }
  if (live.kind === "denied") {
    if (integration.status !== "connected") return integration;
    return update(
      deps,
      integration,
      {
        status: "access-lost",
        statusReason: "The stack reported its deletion, but its role could not be assumed to confirm it; verify access",
      },
      {
        actor: "customer-stack",
        action: "access.lost",
        reason: "deletion_unconfirmed",
        notify: true,
        data: { message: live.message },
      },
    );
  }
  throw conflict("stack_not_deleted", "The stack is not being deleted; nothing changed");
}

/**
 * Whether a Create from another stack than the recorded one replaces a registration whose stack
 * died without telling us: the recorded stack, read through the recorded role (the new stack
 * recreates it under the same name), is gone or rolled back. It happens when a connect was
 * applied but its answer lost, the Create rolled back and its Delete callback failed too: the
 * integration stays connected to a dead stack, and the customer's "delete and create again"
 * would be refused as another stack forever. A live recorded stack keeps its registration.
 */
export async function replacesDeadStack(
  probe: AssumeProbe,
  integration: IntegrationRecord,
  callback: RegistrationCallback,
): Promise<boolean> {
  if (callback.requestType !== "Create" || !integration.stackId || !integration.integrationRoleArn) return false;
  if (callback.stackId === integration.stackId) return false;
  const live = await readLive(probe, integration, integration.integrationRoleArn, integration.stackId);
  return live.kind === "gone" || (live.kind === "found" && GOING_AWAY.has(live.stack.status));
}

/**
 * What a Create/Update claim may change, once the live stack confirms it: the version it reports
 * must be the claimed one and published; the recorded version never moves back.
 */
export async function confirmedVersion(
  deps: Deps,
  integration: IntegrationRecord,
  callback: RegistrationCallback,
  live: LiveStack,
): Promise<VersionRecord> {
  const version = await findVersion(deps, callback.templateVersion);
  if (!version) throw forbidden("unknown_version", "The version this callback claims was never published");
  if (live.templateVersion !== callback.templateVersion)
    throw conflict("version_not_live", "The stack does not run the version this callback claims");
  if (integration.stackOperationAt && live.operationAt.toISOString() < integration.stackOperationAt)
    throw conflict("stale_callback", "An operation newer than this one was already recorded");
  if (version.sequence < integration.currentSequence)
    throw conflict("version_regressed", "The recorded version never moves back on a callback");
  return version;
}

/** The fields a confirmed claim sets. */
export function claimPatch(
  integration: IntegrationRecord,
  callback: RegistrationCallback,
  live: LiveStack,
  version: VersionRecord,
) {
  return {
    updateRoleArn: callback.updateRoleArn ?? undefined,
    serviceRoleArn: callback.serviceRoleArn ?? undefined,
    currentVersion: version.version,
    currentSequence: version.sequence,
    ...autoUpdateFromStack(integration, live.enableAutoUpdate ?? callback.enableAutoUpdate),
  } satisfies IntegrationPatch;
}

const same = (integration: IntegrationRecord, patch: IntegrationPatch) =>
  (Object.keys(patch) as Array<keyof IntegrationPatch>).every((k) => integration[k] === patch[k]);

/**
 * An Update (or a repeated Create) on a registered integration: same role, same stack, a
 * version the live stack confirms. A replay (same RequestId, or nothing new) writes nothing.
 */
export async function applyUpdate(
  deps: Deps,
  probe: AssumeProbe,
  integration: IntegrationRecord,
  callback: RegistrationCallback,
): Promise<IntegrationRecord> {
  if (integration.integrationRoleArn !== callback.integrationRoleArn)
    throw conflict(
      "role_arn_changed",
      "This integration is registered with a different role ARN; a new role needs a new integration",
    );
  if (!integration.stackId || callback.stackId !== integration.stackId)
    throw forbidden("stack_mismatch", "This is not the stack the integration registered");
  if (callback.requestId && callback.requestId === integration.lastRequestId) return integration;
  const live = await readLive(probe, integration, integration.integrationRoleArn, integration.stackId);
  if (live.kind === "denied")
    throw forbidden("assume_denied", "The integration role could not be assumed to confirm this callback");
  if (live.kind === "gone") throw conflict("stack_not_live", "The stack does not exist");
  // A rollback puts back what was there; it is never a reason to fail the customer's stack.
  if (ROLLING_BACK.test(live.stack.status)) return integration;
  // A write that met another on the integration (the executor finishing a run, a retried
  // callback) is contention, not a refusal: answered 409, the stack's update would roll back.
  // Tried again on a fresh read; still contended, it is a 503 the stack's function retries.
  for (let attempt = 1; ; attempt++) {
    try {
      return await recordClaim(deps, integration, callback, live.stack);
    } catch (e) {
      if (!isContention(e)) throw e;
      if (attempt >= CLAIM_ATTEMPTS)
        throw new StackfleetError("unavailable", "integration_busy", "The integration is being changed; retry");
      integration = (await getById(deps, integration.integrationId, { consistent: true })) ?? integration;
    }
  }
}

export const CLAIM_ATTEMPTS = 3;
export const isContention = (e: unknown) =>
  isTransactionConflict(e) || (isStackfleetError(e, "conflict") && e.code === "integration_changed");

async function recordClaim(
  deps: Deps,
  integration: IntegrationRecord,
  callback: RegistrationCallback,
  live: LiveStack,
): Promise<IntegrationRecord> {
  const version = await confirmedVersion(deps, integration, callback, live);
  const patch = claimPatch(integration, callback, live, version);
  if (same(integration, patch)) return integration;
  return update(
    deps,
    integration,
    { ...patch, stackOperationAt: live.operationAt.toISOString(), lastRequestId: callback.requestId ?? undefined },
    {
      actor: "customer-stack",
      action: "integration.reregistered",
      data: {
        requestType: callback.requestType,
        templateVersion: version.version,
        enableAutoUpdate: patch.autoUpdate,
      },
    },
  );
}
