import { proveTrust } from "../access/probe";
import type { Deps } from "../context";
import { conflict, StackfleetError } from "../error";
import { append } from "../event/event";
import type { IntegrationRecord } from "./integration";
import { update } from "./integration";
import type { RegistrationContext } from "./registration";

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
