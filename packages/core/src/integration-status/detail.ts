import type { Deps } from "../context";
import { notFound } from "../error";
import type { EventRecord } from "../event/event";
import { getById, type IntegrationRecord, isExpired } from "../integration/integration";
import type { RunRecord } from "../run/run";
import { loadFacts, type VersionSummary } from "./facts";
import { type IntegrationTruth, truthFrom } from "./status";

export interface IntegrationDetail {
  integration: IntegrationRecord;
  truth: IntegrationTruth;
  /** Newest first. */
  runs: RunRecord[];
  /** The most recent audit events and notifications, newest first. */
  events: EventRecord[];
  /** What a new install gets: the newest version customers may install. */
  latestPublished: VersionSummary | undefined;
}

/**
 * Items read from the integration's activity collection. Newest-first on its index, the
 * collection holds the runs, then the integration, then the events: a page this size holds all
 * three unless an integration has had this many runs (then its item costs one GetItem more).
 */
const ACTIVITY_PAGE = 100;

/**
 * The integration-detail view in two requests whatever the number of versions, runs or events:
 * one Query on the integration's activity collection (integration, runs, recent events), then
 * one BatchGetItem of the halts, versions and changelog pairs the status rules need.
 */
export async function integrationDetail(
  deps: Deps,
  tenantId: string,
  integrationId: string,
  limits: { runs: number; events: number } = { runs: 20, events: 20 },
): Promise<IntegrationDetail> {
  const activity = await deps.service.collections
    .activity({ integrationId })
    // originalErr: ElectroDB otherwise builds an Error (a stack trace) on every call, in case one fails.
    .go({ order: "desc", limit: ACTIVITY_PAGE, originalErr: true });
  const integration = activity.data.integration[0] ?? (await getById(deps, integrationId));
  if (!integration || integration.tenantId !== tenantId || isExpired(integration, deps.now()))
    throw notFound("integration_not_found", `Integration ${integrationId} does not exist`);
  const runs = activity.data.run;
  const facts = await loadFacts(deps, [{ integration, runs }]);
  return {
    integration,
    truth: await truthFrom(deps, integration, runs, facts),
    runs: runs.slice(0, limits.runs),
    events: (activity.data.event as EventRecord[]).slice(0, limits.events),
    latestPublished: facts.latestPublished,
  };
}
