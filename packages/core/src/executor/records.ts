import type { Deps } from "../context";
import { isStackfleetError } from "../error";
import { getById, type IntegrationRecord, isExpired } from "../integration/integration";
import * as Run from "../run/run";
import type { RunHint } from "../schedule/run-scheduler";
import type { VersionRecord } from "../version/version";

export interface DeliveryRecords {
  run: Run.RunRecord | undefined;
  integration: IntegrationRecord | undefined;
  /** Missing, the version is looked up again where it is needed, which reports it as not found. */
  version?: VersionRecord;
}

/**
 * The run, its integration and its version. With the schedule's hint, in one TransactGetItems;
 * the hint only chose the keys read alongside the run, and counts only when the run's own keys
 * are the same — otherwise they are read again by the run's. Without a hint (a schedule made
 * before hints, a re-delivery by the sweeper), the run first, then the rest.
 */
export async function readDelivery(deps: Deps, runId: string, hint?: RunHint): Promise<DeliveryRecords> {
  if (!hint) {
    const run = await Run.get(deps, runId).catch((e: unknown) => {
      if (isStackfleetError(e, "not_found")) return undefined;
      throw e;
    });
    return run ? { run, ...(await readDeliveryRecords(deps, run)) } : { run, integration: undefined };
  }
  const { data } = await deps.service.transaction
    .get(({ run, integration, version }) => [
      run.get({ runId }).commit(),
      integration.get({ integrationId: hint.integrationId }).commit(),
      version.get({ sequence: hint.sequence }).commit(),
    ])
    .go();
  const run = data[0]?.item ?? undefined;
  if (!run) return { run, integration: undefined };
  if (run.integrationId !== hint.integrationId || run.sequence !== hint.sequence)
    return { run, ...(await readDeliveryRecords(deps, run)) };
  const [integration, version] = [data[1]?.item ?? undefined, data[2]?.item ?? undefined];
  return { run, integration: live(deps, integration), version: version ?? undefined };
}

/**
 * A scheduled run's integration and version in one TransactGetItems: the not-before check and
 * the attempt need both and neither depends on the other. In flight (a watch, a recovery) only the
 * integration is needed. The integration reads as `getById` would: an expired one is gone.
 */
export async function readDeliveryRecords(
  deps: Deps,
  run: Run.RunRecord,
): Promise<{ integration: IntegrationRecord | undefined; version?: VersionRecord }> {
  if (run.state !== "scheduled") return { integration: await getById(deps, run.integrationId) };
  const { data } = await deps.service.transaction
    .get(({ integration, version }) => [
      integration.get({ integrationId: run.integrationId }).commit(),
      version.get({ sequence: run.sequence }).commit(),
    ])
    .go();
  const [integration, version] = [data[0]?.item ?? undefined, data[1]?.item ?? undefined];
  return { integration: live(deps, integration), version: version ?? undefined };
}

const live = (deps: Deps, integration: IntegrationRecord | undefined | null) =>
  integration && !isExpired(integration, deps.now()) ? integration : undefined;
