import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { type AssumeProbe, type ProofOptions, proveTrust } from "../access/probe";
import type { Deps } from "../context";
import { conflict, forbidden, inputError, StackfleetError } from "../error";
import { append } from "../event/event";
import { findBySemver as findVersion } from "../version/version";
import { EXTERNAL_ID_PATTERN, externalIdHash } from "./externalid";
import { AccountId, getById, type IntegrationRecord, Region, update } from "./integration";

const RoleArn = z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/, "must be an IAM role ARN");

/** What the template's registration custom resource posts (see template/customer). */
export const RegistrationCallback = z.object({
  requestType: z.enum(["Create", "Update", "Delete"]),
  externalId: z.string().regex(EXTERNAL_ID_PATTERN, "is not a valid ExternalId"),
  accountId: AccountId,
  region: Region,
  integrationRoleArn: RoleArn,
  updateRoleArn: RoleArn.nullish(),
  serviceRoleArn: RoleArn.nullish(),
  stackId: z.string().startsWith("arn:").max(2048),
  stackName: z.string().min(1).max(128),
  templateVersion: z.string().min(1).max(64),
  enableAutoUpdate: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]),
});
export type RegistrationCallback = z.infer<typeof RegistrationCallback>;

const accountOfArn = (arn: string) => arn.split(":")[4];
const roleNameOf = (arn: string) =>
  arn
    .slice(arn.indexOf(":role/") + 6)
    .split("/")
    .pop() ?? "";

/** Constant-time: hashing first makes the lengths equal so the comparison leaks nothing. */
function sameSecret(a: string, b: string): boolean {
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The integration a callback is about: the one its ExternalId belongs to (so a refusal for a
 * wrong account still lands on that integration's trail), else the one its account+region holds
 * (so a wrong ExternalId is recorded there). Neither lookup decides anything by itself.
 */
async function findForCallback(deps: Deps, callback: RegistrationCallback): Promise<IntegrationRecord | undefined> {
  const indexed = (
    await deps.service.entities.externalIdIndex.get({ externalIdHash: externalIdHash(callback.externalId) }).go()
  ).data;
  if (indexed) return getById(deps, indexed.integrationId);
  const guard = (
    await deps.service.entities.accountGuard.get({ accountId: callback.accountId, region: callback.region }).go()
  ).data;
  return guard ? getById(deps, guard.integrationId) : undefined;
}

export interface RegistrationContext {
  probe: AssumeProbe;
  stackPrefix: string;
  proof?: ProofOptions;
}

/**
 * The customer stack calling back (Create/Update/Delete). Authenticated by nothing but the
 * ExternalId match and the AssumeRole proof; every refusal is audited, then thrown as a 4xx.
 */
export async function register(
  deps: Deps,
  ctx: RegistrationContext,
  callback: RegistrationCallback,
): Promise<IntegrationRecord> {
  const integration = await findForCallback(deps, callback);
  const refuse = async (error: StackfleetError) => {
    await append(deps, {
      actor: "customer-stack",
      action: "registration.refused",
      reason: error.code,
      integrationId: integration?.integrationId,
      tenantId: integration?.tenantId,
      data: {
        message: error.message,
        requestType: callback.requestType,
        accountId: callback.accountId,
        region: callback.region,
        integrationRoleArn: callback.integrationRoleArn,
      },
    });
    throw error;
  };
  // Unknown account+region and a wrong ExternalId look the same to the caller.
  if (!integration || !sameSecret(integration.externalId, callback.externalId)) {
    return refuse(
      forbidden("registration_rejected", "No pending integration matches this account, region and ExternalId"),
    );
  }
  const arns = [callback.integrationRoleArn, callback.updateRoleArn, callback.serviceRoleArn].filter(
    (a): a is string => !!a,
  );
  if (arns.some((arn) => accountOfArn(arn) !== integration.accountId) || callback.accountId !== integration.accountId) {
    return refuse(forbidden("account_mismatch", `Role ARNs must belong to account ${integration.accountId}`));
  }
  if (callback.region !== integration.region) {
    return refuse(
      forbidden(
        "region_mismatch",
        `This integration is for ${integration.region}; the stack was installed in ${callback.region}`,
      ),
    );
  }
  if (arns.some((arn) => !roleNameOf(arn).startsWith(`${ctx.stackPrefix}-`))) {
    return refuse(inputError("role_outside_prefix", `Role names must start with ${ctx.stackPrefix}-`));
  }

  if (callback.requestType === "Delete") {
    if (integration.status === "removed") return integration;
    return update(
      deps,
      integration,
      { status: "removed", statusReason: "customer deleted the stack", autoUpdate: false },
      {
        actor: "customer-stack",
        action: "integration.removed",
        reason: "stack deleted",
        notify: true,
        data: { stackId: callback.stackId },
      },
      { releaseGuard: true },
    );
  }

  if (integration.status === "removed")
    return refuse(
      conflict("integration_removed", `Integration ${integration.integrationId} was removed; create a new one`),
    );
  if (integration.integrationRoleArn && integration.integrationRoleArn !== callback.integrationRoleArn) {
    return refuse(
      conflict(
        "role_arn_changed",
        "This integration is registered with a different role ARN; a new role needs a new integration",
      ),
    );
  }

  const proof = await proveTrust(
    ctx.probe,
    callback.integrationRoleArn,
    integration.externalId,
    `stackfleet-registration`,
    ctx.proof,
  );
  if (!proof.trusted) {
    if (proof.code === "probe_failed") throw new StackfleetError("unavailable", "probe_failed", proof.message);
    return refuse(forbidden(proof.code, proof.message));
  }

  const patch = {
    status: "connected" as const,
    statusReason: undefined,
    integrationRoleArn: callback.integrationRoleArn,
    updateRoleArn: callback.updateRoleArn ?? undefined,
    serviceRoleArn: callback.serviceRoleArn ?? undefined,
    stackId: callback.stackId,
    currentVersion: callback.templateVersion,
    // Anti-rollback compares sequences too: take the published version's, when it is one of ours.
    currentSequence: (await findVersion(deps, callback.templateVersion))?.sequence ?? integration.currentSequence,
    ...autoUpdateFromStack(integration, callback.enableAutoUpdate),
  };
  const unchanged =
    integration.autoUpdateReason === patch.autoUpdateReason &&
    integration.status === "connected" &&
    integration.updateRoleArn === patch.updateRoleArn &&
    integration.serviceRoleArn === patch.serviceRoleArn &&
    integration.currentVersion === patch.currentVersion &&
    integration.currentSequence === patch.currentSequence &&
    integration.autoUpdate === patch.autoUpdate;
  if (unchanged) return integration; // a replay: harmless, nothing to record
  return update(deps, integration, patch, {
    actor: "customer-stack",
    action: integration.status === "connected" ? "integration.reregistered" : "integration.connected",
    notify: integration.status !== "connected",
    data: {
      requestType: callback.requestType,
      templateVersion: callback.templateVersion,
      enableAutoUpdate: callback.enableAutoUpdate,
    },
  });
}

/** Why auto-update is off when the customer turned it off in the stack itself. */
export const STACK_OPT_OUT = "EnableAutoUpdate=false on the customer stack";

/**
 * The live parameter is the customer's own switch: off in the stack is off here. Turning it back
 * on in the stack lifts only an opt-out that came from the stack — a tenant's opt-out through the
 * API stays until the tenant lifts it.
 */
function autoUpdateFromStack(integration: IntegrationRecord, enabledInStack: boolean) {
  if (!enabledInStack) return { autoUpdate: false, autoUpdateReason: STACK_OPT_OUT };
  if (integration.status === "pending" || integration.autoUpdateReason === STACK_OPT_OUT)
    return { autoUpdate: true, autoUpdateReason: undefined };
  return { autoUpdate: integration.autoUpdate, autoUpdateReason: integration.autoUpdateReason };
}

export type AccessCheck = {
  access: "ok" | "lost";
  status: IntegrationRecord["status"];
  reason?: string;
  integration: IntegrationRecord;
};

/**
 * The same two-sided AssumeRole test, on demand and before use. Losing access on a connected
 * integration moves it to `access-lost` with a customer-visible event; regaining it reconnects.
 */
export async function verifyAccess(
  deps: Deps,
  ctx: RegistrationContext,
  integration: IntegrationRecord,
  actor: Parameters<typeof append>[1]["actor"],
): Promise<AccessCheck> {
  if (!integration.integrationRoleArn)
    throw conflict("integration_pending", "The customer stack has not registered yet");
  const proof = await proveTrust(
    ctx.probe,
    integration.integrationRoleArn,
    integration.externalId,
    "stackfleet-access-check",
    { attempts: 1, ...ctx.proof },
  );
  if (!proof.trusted && proof.code === "probe_failed")
    throw new StackfleetError("unavailable", "probe_failed", proof.message);
  if (proof.trusted) {
    if (integration.status === "access-lost") {
      const reconnected = await update(
        deps,
        integration,
        { status: "connected", statusReason: undefined },
        { actor, action: "access.restored", notify: true },
      );
      return { access: "ok", status: reconnected.status, integration: reconnected };
    }
    await append(deps, {
      actor,
      action: "access.verified",
      integrationId: integration.integrationId,
      tenantId: integration.tenantId,
    });
    return { access: "ok", status: integration.status, integration };
  }
  if (integration.status === "connected") {
    const lost = await update(
      deps,
      integration,
      { status: "access-lost", statusReason: proof.message },
      { actor, action: "access.lost", reason: proof.code, notify: true, data: { message: proof.message } },
    );
    return { access: "lost", status: lost.status, reason: proof.message, integration: lost };
  }
  await append(deps, {
    actor,
    action: "access.check-failed",
    reason: proof.code,
    integrationId: integration.integrationId,
    tenantId: integration.tenantId,
    data: { message: proof.message },
  });
  return { access: "lost", status: integration.status, reason: proof.message, integration };
}
