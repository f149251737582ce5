import type { Deps } from "../context";
import { getById, type IntegrationRecord, isExpired } from "../integration/integration";
import type { RunRecord } from "../run/run";
import type { VersionRecord } from "../version/version";

/**
 * A scheduled run's integration and version in one TransactGetItems: the not-before check and
 * the attempt need both and neither depends on the other. In flight (a watch, a recovery) only the
 * integration is needed. The integration reads as `getById` would: an expired one is gone.
 */
export async function readDeliveryRecords(
  deps: Deps,
  run: RunRecord,
): Promise<{ integration: IntegrationRecord | undefined; version?: VersionRecord }> {
  if (run.state !== "scheduled") return { integration: await getById(deps, run.integrationId) };
  const { data } = await deps.service.transaction
    .get(({ integration, version }) => [
      integration.get({ integrationId: run.integrationId }).commit(),
      version.get({ sequence: run.sequence }).commit(),
    ])
    .go();
  const [integration, version] = [data[0]?.item ?? undefined, data[1]?.item ?? undefined];
  return {
    integration: integration && !isExpired(integration, deps.now()) ? integration : undefined,
    // Missing, the version is looked up again where it is needed, which reports it as not found.
    version: version ?? undefined,
  };
}
