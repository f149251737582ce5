import * as z from "zod";
import type { Actor } from "../context";
import { forbidden, inputError, notFound, unauthenticated } from "../error";

/**
 * The claims a Stackfleet access token carries, whoever issues it (the vendor's IdP in AWS, the
 * local dev key here). Plain, unnamespaced names, so any OIDC provider can be mapped onto them:
 * - `sub`       who the caller is (recorded as the actor on audit events)
 * - `role`      `tenant-admin` (acts for one tenant) or `operator` (the vendor's platform team)
 * - `tenant_id` the tenant a tenant-admin acts for (`ten_…`); required for tenant-admins,
 *               ignored for operators, who name the tenant per request instead
 * `iss`, `aud`, `exp` are checked by the verifier before these are read.
 */
export const Role = z.enum(["tenant-admin", "operator"]);
export type Role = z.infer<typeof Role>;

export const TENANT_CLAIM = "tenant_id";
export const ROLE_CLAIM = "role";

export const AccessClaims = z.object({
  sub: z.string().min(1).max(256),
  [ROLE_CLAIM]: Role,
  [TENANT_CLAIM]: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a tenant id")
    .optional(),
});
export type AccessClaims = z.infer<typeof AccessClaims>;

export type Principal =
  | { subject: string; role: "tenant-admin"; tenantId: string }
  | { subject: string; role: "operator"; tenantId?: string };

/** Claims → principal; a token that parses but cannot name what it may touch is invalid, not forbidden. */
export function principalFromClaims(payload: unknown): Principal {
  const parsed = AccessClaims.safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw unauthenticated(
      "token_invalid",
      `Token claims are invalid: ${issue ? `${issue.path.join(".") || "claims"}: ${issue.message}` : "unreadable"}`,
    );
  }
  const { sub, role, tenant_id: tenantId } = parsed.data;
  if (role === "operator") return tenantId === undefined ? { subject: sub, role } : { subject: sub, role, tenantId };
  if (tenantId === undefined)
    throw unauthenticated("token_invalid", `A tenant-admin token needs a ${TENANT_CLAIM} claim`);
  return { subject: sub, role, tenantId };
}

export function requireOperator(principal: Principal): asserts principal is Extract<Principal, { role: "operator" }> {
  if (principal.role !== "operator") throw forbidden("operator_required", "This action needs the operator role");
}

/**
 * The tenant a request acts on. A tenant-admin always acts on its own tenant; naming another one
 * is a 404 (`tenant_not_found`), never a 403, so ids of other tenants cannot be probed. An
 * operator has no tenant of its own and must name one (the routes take `?tenantId=`).
 */
export function tenantScope(principal: Principal, requested?: string): string {
  if (principal.role === "tenant-admin") {
    if (requested !== undefined && requested !== principal.tenantId)
      throw notFound("tenant_not_found", `Tenant ${requested} not found`);
    return principal.tenantId;
  }
  if (requested === undefined) throw inputError("tenant_required", "Operators must name the tenant (tenantId)");
  return requested;
}

/**
 * Whether a principal may see something owned by `tenantId`. Routes that load an item by id
 * (an integration, a run) check this and answer 404 when false, exactly as for a missing item.
 */
export const canAccessTenant = (principal: Principal, tenantId: string): boolean =>
  principal.role === "operator" || principal.tenantId === tenantId;

/** The audit actor for a principal: `tenant:<tenantId>` for tenant-admins, `operator:<sub>` for operators. */
export const actorOf = (principal: Principal): Actor =>
  principal.role === "operator" ? `operator:${principal.subject}` : `tenant:${principal.tenantId}`;
