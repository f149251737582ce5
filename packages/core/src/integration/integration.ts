import { createHash } from "node:crypto";
import type { EntityItem } from "electrodb";
import type { Actor, Deps } from "../context";
import type { Entities, TransactionEntities } from "../db/service";
import { commitTransaction } from "../db/transaction";
import { conflict, notFound } from "../error";
import { type EventInput, record } from "../event/event";
import * as z from "../zod-mini";
import { externalIdHash, newExternalId } from "./externalid";
import { type IntegrationStatus, PLAN_SHARDS } from "./integration.entity";

export type IntegrationRecord = EntityItem<Entities["integration"]>;

export const AccountId = z.string().check(z.regex(/^\d{12}$/, "must be a 12-digit AWS account id"));
export const Region = z
  .string()
  .check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, "must be an AWS region such as eu-west-1"));

export const CreateIntegration = z.strictObject({ accountId: AccountId, region: Region });
export type CreateIntegration = z.infer<typeof CreateIntegration>;

/** Rollout planning reads only `eligible` integrations; derived on every write, never set by hand. */
export const planStateOf = (status: IntegrationStatus, autoUpdate: boolean) =>
  status === "connected" && autoUpdate ? ("eligible" as const) : ("ineligible" as const);

const shardOf = (integrationId: string) =>
  createHash("sha256").update(integrationId).digest().readUInt16BE(0) % PLAN_SHARDS;

const subjectOf = (i: Pick<IntegrationRecord, "integrationId" | "tenantId">) => ({
  integrationId: i.integrationId,
  tenantId: i.tenantId,
});

/** How long an integration nobody installed stays pending before it expires. */
export const DEFAULT_PENDING_DAYS = 7;
const DAY_MS = 86_400_000;
/** The TTL only cleans up: expiry itself is decided on read, so the sweep may lag (DynamoDB's does, by days). */
const CLEANUP_AFTER_DAYS = 30;

/** A pending integration past its expiry is gone, whether or not the table's TTL has deleted it yet. */
export const isExpired = (i: Pick<IntegrationRecord, "status" | "pendingUntil">, now: Date) =>
  i.status === "pending" && i.pendingUntil !== undefined && i.pendingUntil <= now.toISOString();

/**
 * A pending integration claims nothing: the account+Region is taken only when a stack proves it
 * at registration, so creating one answers the same whoever else holds that account.
 */
export async function create(
  deps: Deps,
  tenantId: string,
  stackName: string,
  input: CreateIntegration,
  actor: Actor,
  options: { pendingDays?: number } = {},
): Promise<IntegrationRecord> {
  const now = deps.now().toISOString();
  const integrationId = deps.newId("integration");
  const item = {
    integrationId,
    tenantId,
    accountId: input.accountId,
    region: input.region,
    stackName,
    externalId: newExternalId(),
    status: "pending" as const,
    autoUpdate: true,
    currentSequence: 0,
    planState: planStateOf("pending", true),
    planShard: shardOf(integrationId),
    createdAt: now,
    updatedAt: now,
    pendingUntil: new Date(deps.now().getTime() + (options.pendingDays ?? DEFAULT_PENDING_DAYS) * DAY_MS).toISOString(),
    expiresAt: Math.floor(
      (deps.now().getTime() + ((options.pendingDays ?? DEFAULT_PENDING_DAYS) + CLEANUP_AFTER_DAYS) * DAY_MS) / 1000,
    ),
    rev: 0,
  };
  const audit = record(deps, {
    actor,
    action: "integration.created",
    ...subjectOf(item),
    data: { accountId: item.accountId, region: item.region },
  });
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ externalIdIndex, integration, event }) => [
          integration.create(item).commit(),
          event.create(audit).commit(),
          externalIdIndex.create({ externalIdHash: externalIdHash(item.externalId), integrationId }).commit(),
        ])
        .go(),
    [
      { code: "integration_exists", message: `Integration ${integrationId} already exists` },
      { code: "event_exists", message: "Audit event id collision" },
      { code: "external_id_collision", message: "Generated ExternalId collided; retry" },
    ],
  );
  return item;
}

/** Any tenant's integration, for internal callers (registration, executor); an expired one is gone. */
export async function getById(
  deps: Deps,
  integrationId: string,
  options: { consistent?: boolean } = {},
): Promise<IntegrationRecord | undefined> {
  const { data } = await deps.service.entities.integration
    .get({ integrationId })
    .go({ consistent: options.consistent ?? false });
  return data && !isExpired(data, deps.now()) ? data : undefined;
}

/** A tenant's own integration; another tenant's id is indistinguishable from a missing one. */
export async function get(deps: Deps, tenantId: string, integrationId: string): Promise<IntegrationRecord> {
  const found = await getById(deps, integrationId);
  if (!found || found.tenantId !== tenantId)
    throw notFound("integration_not_found", `Integration ${integrationId} does not exist`);
  return found;
}

export async function list(deps: Deps, tenantId: string, page: { limit?: number; cursor?: string | null } = {}) {
  const { data, cursor } = await deps.service.entities.integration.query
    .byTenant({ tenantId })
    .go({ order: "desc", limit: page.limit ?? 50, cursor: page.cursor ?? null });
  return { items: data.filter((i) => !isExpired(i, deps.now())), cursor };
}

export type IntegrationPatch = Partial<
  Pick<
    IntegrationRecord,
    | "status"
    | "statusReason"
    | "autoUpdate"
    | "autoUpdateReason"
    | "integrationRoleArn"
    | "updateRoleArn"
    | "serviceRoleArn"
    | "stackId"
    | "currentVersion"
    | "currentSequence"
    | "stackOperationAt"
    | "lastRequestId"
    | "maintenanceWindow"
    | "skippedVersions"
  >
>;

/**
 * The write for a change to an integration: derived planning keys kept in step, attributes
 * patched to undefined cleared, conditional on the revision read. Used alone (`update`) and
 * inside a run's transition, so a run's outcome and the integration move together.
 */
export function integrationWrite(deps: Pick<Deps, "now">, current: IntegrationRecord, patch: IntegrationPatch) {
  const status = patch.status ?? current.status;
  const autoUpdate = patch.autoUpdate ?? current.autoUpdate;
  // planShard never changes, but the planning key that planState rewrites is built from both.
  const next = {
    ...patch,
    planState: planStateOf(status, autoUpdate),
    planShard: current.planShard,
    updatedAt: deps.now().toISOString(),
  };
  const cleared: Array<keyof IntegrationPatch | "pendingUntil" | "expiresAt"> = (
    Object.keys(patch) as Array<keyof IntegrationPatch>
  ).filter((k) => patch[k] === undefined);
  // Only a pending integration expires; whatever it becomes is kept.
  if (status !== "pending" && current.pendingUntil !== undefined) cleared.push("pendingUntil", "expiresAt");
  const set = Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) as typeof next;
  const after = { ...current, ...next, rev: current.rev + 1 } as IntegrationRecord;
  for (const key of cleared) delete after[key];
  return {
    after,
    commit: (integration: TransactionEntities["integration"]) =>
      integration
        .patch({ integrationId: current.integrationId })
        .set(set)
        .remove(cleared)
        .add({ rev: 1 })
        .where(({ rev }, { eq }) => eq(rev, current.rev))
        .commit(),
    label: { code: "integration_changed", message: `Integration ${current.integrationId} changed concurrently; retry` },
  };
}

export async function update(
  deps: Deps,
  current: IntegrationRecord,
  patch: IntegrationPatch,
  event: Omit<EventInput, "integrationId" | "tenantId">,
  options: { releaseGuard?: boolean } = {},
): Promise<IntegrationRecord> {
  const write = integrationWrite(deps, current, patch);
  const audit = record(deps, { ...event, ...subjectOf(current) });
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ integration, event: events, accountGuard }) => [
          write.commit(integration),
          events.create(audit).commit(),
          ...(options.releaseGuard && holdsAccount(current)
            ? [
                accountGuard
                  .delete({ accountId: current.accountId, region: current.region })
                  .where(({ integrationId }, { eq }) => eq(integrationId, current.integrationId))
                  .commit(),
              ]
            : []),
        ])
        .go(),
    [
      write.label,
      { code: "event_exists", message: "Audit event id collision" },
      { code: "integration_changed", message: `Account guard of ${current.integrationId} is not held` },
    ],
  );
  return write.after;
}

/** Only a registered integration holds its account+Region (see `registration.ts`). */
export const holdsAccount = (i: Pick<IntegrationRecord, "status">) =>
  i.status === "connected" || i.status === "access-lost";

/** Tenant's switch in our table; the live stack's `EnableAutoUpdate` is the customer's own, checked by the executor. */
export async function setAutoUpdate(
  deps: Deps,
  current: IntegrationRecord,
  enabled: boolean,
  actor: Actor,
  reason?: string,
) {
  if (current.status === "removed")
    throw conflict("integration_removed", `Integration ${current.integrationId} is removed`);
  if (current.autoUpdate === enabled) return current;
  return update(
    deps,
    current,
    { autoUpdate: enabled, autoUpdateReason: reason },
    { actor, action: enabled ? "auto-update.enabled" : "auto-update.disabled", reason, notify: true },
  );
}

/** The tenant disconnects: no further updates; the customer still deletes the stack on their side. */
export async function remove(deps: Deps, current: IntegrationRecord, actor: Actor, reason?: string) {
  if (current.status === "removed") return current;
  return update(
    deps,
    current,
    { status: "removed", statusReason: reason ?? "removed by tenant", autoUpdate: false },
    { actor, action: "integration.removed", reason, notify: true },
    { releaseGuard: true },
  );
}
