import type { Deps } from "@stackfleet/core/context";
import { Integration } from "@stackfleet/core/integration";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";

export type ConnectedPatch = Partial<Parameters<typeof Integration.update>[2]>;

/**
 * An integration recorded `connected` at 1.0.0 (or as `patch` says) straight in the table, as if
 * its stack had registered — for tests that need the record, not a stack in the sandbox.
 */
export async function recordConnected(
  deps: Deps,
  tenantId: string,
  accountId: string,
  region: string,
  patch: ConnectedPatch = {},
): Promise<IntegrationRecord> {
  const created = await Integration.create(
    deps,
    tenantId,
    "Acme-integration",
    { accountId, region },
    `tenant:${tenantId}`,
  );
  return Integration.update(
    deps,
    created,
    {
      status: "connected",
      integrationRoleArn: `arn:aws:iam::${accountId}:role/Acme-integration-role`,
      updateRoleArn: `arn:aws:iam::${accountId}:role/Acme-update-role`,
      currentVersion: "1.0.0",
      ...patch,
    },
    { actor: "customer-stack", action: "integration.connected" },
  );
}
