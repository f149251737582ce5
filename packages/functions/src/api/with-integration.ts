import { actorOf } from "@stackfleet/core/auth";
import type { Actor } from "@stackfleet/core/context";
import { Integration } from "@stackfleet/core/integration";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import type { RolloutContext } from "@stackfleet/core/rollout";
import type { Context } from "hono";
import { principalOf, requestTenant } from "./auth";
import type { ApiDeps, ApiEnv } from "./env";
import { deliverNotifications, rolloutContext } from "./rollout-context";

export interface IntegrationAction {
  deps: ApiDeps;
  /** The tenant's own integration (another tenant's id is a 404 before `act` runs). */
  integration: IntegrationRecord;
  actor: Actor;
  /** Read only by the actions that plan or cancel runs: it costs a read of the rollout policy. */
  rollout(): Promise<RolloutContext>;
}

/**
 * What every change to one integration shares: load the caller's integration from the route's
 * `{id}` and `?tenantId=` (both validated by the route already), act, then deliver the
 * notifications the action wrote.
 */
export async function withIntegration<T>(c: Context<ApiEnv>, act: (a: IntegrationAction) => Promise<T>): Promise<T> {
  const deps = c.get("deps");
  const integration = await Integration.get(deps, requestTenant(c, c.req.query("tenantId")), c.req.param("id") ?? "");
  const out = await act({ deps, integration, actor: actorOf(principalOf(c)), rollout: () => rolloutContext(deps) });
  await deliverNotifications(c, integration.integrationId);
  return out;
}
