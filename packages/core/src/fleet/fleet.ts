import semver from "semver";
import * as z from "zod";
import type { Deps } from "../context";
import { mergedPage } from "../db/shard-reads";
import type { EventRecord } from "../event/event";
import { NO_SUBJECT } from "../event/event.entity";
import type { IntegrationRecord } from "../integration/integration";
import { PLAN_SHARDS } from "../integration/integration.entity";
import { type IntegrationTruth, truthsOf, type UpdateStatus } from "../integration-status/status";
import { versionKeyOf } from "../run/queries";
import type { RunRecord } from "../run/run";
import { RUN_STATES } from "../run/run.entity";
import * as Version from "../version/version";

/**
 * The vendor's view across tenants (operators only). Every integration sits in the planning
 * pool index (eligible or ineligible, 16 shards each), so the fleet is read from there: 32 key
 * queries, no scan. Tenants are derived from integrations; there is no tenant entity.
 */
export async function allIntegrations(deps: Deps): Promise<IntegrationRecord[]> {
  const shards = [];
  for (const planState of ["eligible", "ineligible"] as const) {
    for (let planShard = 0; planShard < PLAN_SHARDS; planShard++) {
      shards.push(deps.service.entities.integration.query.byPlanState({ planState, planShard }).go({ pages: "all" }));
    }
  }
  const pages = await Promise.all(shards);
  return pages.flatMap((p) => p.data).sort((a, b) => a.integrationId.localeCompare(b.integrationId));
}

export interface TenantSummary {
  tenantId: string;
  integrations: number;
  byAccess: Record<string, number>;
  versions: Record<string, number>;
  firstConnectedAt: string;
}

export async function tenants(deps: Deps): Promise<TenantSummary[]> {
  const byTenant = new Map<string, TenantSummary>();
  for (const i of await allIntegrations(deps)) {
    const t = byTenant.get(i.tenantId) ?? {
      tenantId: i.tenantId,
      integrations: 0,
      byAccess: {},
      versions: {},
      firstConnectedAt: i.createdAt,
    };
    t.integrations++;
    t.byAccess[i.status] = (t.byAccess[i.status] ?? 0) + 1;
    const v = i.currentVersion ?? "none";
    t.versions[v] = (t.versions[v] ?? 0) + 1;
    if (i.createdAt < t.firstConnectedAt) t.firstConnectedAt = i.createdAt;
    byTenant.set(i.tenantId, t);
  }
  return [...byTenant.values()].sort((a, b) => a.tenantId.localeCompare(b.tenantId));
}

export const FleetFilter = z.object({
  status: z
    .enum([
      "up_to_date",
      "update_available",
      "update_scheduled",
      "paused",
      "waiting_for_window",
      "opted_out",
      "skipped",
      "access_lost",
      "updating",
      "failed",
      "not_connected",
    ])
    .optional(),
  version: z.string().max(64).optional(),
  access: z.enum(["pending", "connected", "access-lost", "removed"]).optional(),
  tenantId: z.string().max(128).optional(),
});
export type FleetFilter = z.infer<typeof FleetFilter>;

export type FleetIntegration = IntegrationTruth & { integration: IntegrationRecord };

/**
 * Integrations across tenants, filtered, one page at a time (by integration id; the cursor is
 * the last id shown). Each round reads the next page's worth from every planning shard (32 key
 * queries, however large the fleet) and derives the status only for the integrations it shows.
 */
export async function integrations(
  deps: Deps,
  filter: FleetFilter,
  page: { limit?: number; cursor?: string | null },
): Promise<{ items: FleetIntegration[]; cursor: string | null }> {
  const limit = page.limit ?? 50;
  const items: FleetIntegration[] = [];
  let after = page.cursor ?? null;
  // The status filter may skip some, so read on until the page is full.
  for (;;) {
    const next = await nextIntegrations(deps, filter, after, limit + 1);
    const chunk = next.slice(0, limit);
    const truths = await truthsOf(deps, chunk);
    for (const [offset, integration] of chunk.entries()) {
      const truth = truths[offset]!;
      if (filter.status && truth.status.state !== filter.status) continue;
      items.push({ integration, ...truth });
      if (items.length === limit) return { items, cursor: offset < next.length - 1 ? integration.integrationId : null };
    }
    if (next.length <= limit) return { items, cursor: null };
    after = chunk.at(-1)!.integrationId;
  }
}

/** The first `count` integrations after `after` in id order that pass the stored-field filters. */
async function nextIntegrations(
  deps: Deps,
  filter: FleetFilter,
  after: string | null,
  count: number,
): Promise<IntegrationRecord[]> {
  const shards = [];
  for (const planState of ["eligible", "ineligible"] as const) {
    for (let planShard = 0; planShard < PLAN_SHARDS; planShard++) {
      const query = deps.service.entities.integration.query.byPlanState({ planState, planShard });
      const ranged = after ? query.gt({ integrationId: after }) : query;
      shards.push(
        ranged
          .where(({ tenantId, status, currentVersion }, { eq, notExists }) =>
            [
              filter.tenantId ? eq(tenantId, filter.tenantId) : "",
              filter.access ? eq(status, filter.access) : "",
              filter.version === "none" ? notExists(currentVersion) : "",
              filter.version && filter.version !== "none" ? eq(currentVersion, filter.version) : "",
            ]
              .filter(Boolean)
              .join(" AND "),
          )
          .go({ limit: count, count }),
      );
    }
  }
  const found = (await Promise.all(shards)).flatMap((p) => p.data);
  return found.sort((a, b) => a.integrationId.localeCompare(b.integrationId)).slice(0, count);
}

export interface VersionShare {
  version: string;
  state: string | null;
  integrations: number;
}

/**
 * How many integrations run each version, newest first; `none` for integrations not yet at one.
 * The versions' states come from one batch by primary key (integrations carry their sequence).
 */
export async function versionDistribution(deps: Deps): Promise<VersionShare[]> {
  const counts = new Map<string, number>();
  const sequences = new Map<string, number>();
  for (const i of await allIntegrations(deps)) {
    if (i.status === "removed") continue;
    const v = i.currentVersion ?? "none";
    counts.set(v, (counts.get(v) ?? 0) + 1);
    if (i.currentVersion && i.currentSequence > 0) sequences.set(i.currentVersion, i.currentSequence);
  }
  const states = await versionStates(deps, [...sequences.values()]);
  const out: VersionShare[] = [];
  for (const [version, integrations] of counts) {
    // An integration recorded before sequences were: read that version by semver.
    const state =
      version === "none"
        ? undefined
        : (states.get(version) ??
          (sequences.has(version) ? undefined : (await Version.findBySemver(deps, version))?.state));
    out.push({ version, state: state ?? null, integrations });
  }
  const rank = (v: string) => (semver.valid(v) ? v : "0.0.0-none");
  return out.sort((a, b) => semver.rcompare(rank(a.version), rank(b.version)));
}

async function versionStates(deps: Deps, sequences: number[]): Promise<Map<string, string>> {
  if (sequences.length === 0) return new Map();
  const { data } = await deps.service.entities.version
    .get(sequences.map((sequence) => ({ sequence })))
    .go({ attributes: ["version", "state"] });
  return new Map(data.map((v) => [v.version, v.state]));
}

/**
 * Every run of a version across tenants, paged in the version index's order (state, then run id)
 * over its write shards; each page lists its runs newest first.
 */
export async function runHistory(
  deps: Deps,
  version: string,
  page: { limit?: number; cursor?: string | null },
): Promise<{ items: RunRecord[]; cursor: string | null }> {
  await Version.get(deps, version);
  const { items, cursor } = await mergedPage(
    {
      read: (shard, after, limit) => {
        const query = deps.service.entities.run.query.byVersion({ version, shard });
        return (after ? query.gt(after) : query).go({ limit, count: limit });
      },
      positionOf: ({ state, runId }) => ({ state, runId }),
      position: z.strictObject({ state: z.enum(RUN_STATES), runId: z.string().max(128) }),
      keyOf: versionKeyOf,
      order: "asc",
    },
    { limit: page.limit ?? 50, cursor: page.cursor ?? null },
  );
  return { items: items.sort((a, b) => b.createdAt.localeCompare(a.createdAt)), cursor };
}

/** Actions taken on the fleet as a whole (no tenant): by operators, and integrity alerts. */
const FLEET_ACTORS = ["operator:", "system:integrity"];

/**
 * The operator audit: who published, halted, resumed, approved or changed the policy, and
 * when; integrity quarantines too. Those events carry no tenant, so they share one partition
 * of the tenant index, newest first.
 */
export async function operatorAudit(
  deps: Deps,
  page: { limit?: number; cursor?: string | null },
): Promise<{ items: EventRecord[]; cursor: string | null }> {
  const { data, cursor } = await deps.service.entities.event.query
    .byTenant({ tenantId: NO_SUBJECT })
    .where(({ actor }, { begins }) => FLEET_ACTORS.map((prefix) => begins(actor, prefix)).join(" OR "))
    .go({ order: "desc", limit: page.limit ?? 50, cursor: page.cursor ?? null });
  return { items: data as EventRecord[], cursor };
}

export type { UpdateStatus };
