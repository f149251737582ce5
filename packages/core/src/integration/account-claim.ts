import type { Deps } from "../context";
import type { TransactionEntities } from "../db/service";
import { commitTransaction } from "../db/transaction";
import { isStackfleetError } from "../error";
import { type EventInput, record } from "../event/event";
import type { Log } from "../log";
import {
  getById,
  holdsAccount,
  type IntegrationPatch,
  type IntegrationRecord,
  integrationWrite,
  isExpired,
  update,
} from "./integration";

export const SUPERSEDED = "superseded: the stack in this account registered with another integration";
/** Other pending integrations told in one registration; the rest expire on their own. */
const SUPERSEDE_LIMIT = 25;

const supersededPatch = { status: "removed", statusReason: SUPERSEDED, autoUpdate: false } as const;
const supersededEvent = { actor: "customer-stack", action: "integration.superseded", notify: true } as const;

/**
 * Connects `integration` and takes its account+Region guard in one transaction. The stack that
 * proved the account decides: a registered integration holding the guard is superseded in the
 * same transaction, other pending ones for that account+Region afterwards — each says why.
 */
export async function claimAccount(
  deps: Deps,
  integration: IntegrationRecord,
  patch: IntegrationPatch,
  event: Omit<EventInput, "integrationId" | "tenantId">,
  log: Log,
): Promise<IntegrationRecord> {
  const key = { accountId: integration.accountId, region: integration.region };
  const guard = (await deps.service.entities.accountGuard.get(key).go({ consistent: true })).data;
  const other = guard && guard.integrationId !== integration.integrationId ? guard.integrationId : undefined;
  const holder = other ? await getById(deps, other, { consistent: true }) : undefined;
  const write = integrationWrite(deps, integration, patch);
  const audit = record(deps, { ...event, integrationId: integration.integrationId, tenantId: integration.tenantId });
  const displaced = holder && holdsAccount(holder) ? integrationWrite(deps, holder, supersededPatch) : undefined;
  const guardItem = (accountGuard: TransactionEntities["accountGuard"]) =>
    other
      ? accountGuard
          .patch(key)
          .set({ integrationId: integration.integrationId })
          .where(({ integrationId }, { eq }) => eq(integrationId, other))
          .commit()
      : accountGuard.create({ ...key, integrationId: integration.integrationId }).commit();
  const guardLabel = { code: "account_claimed", message: "Another registration claimed this account; retry" };
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ integration: entity, event: events, accountGuard }) => [
          write.commit(entity),
          events.create(audit).commit(),
          ...(guard?.integrationId === integration.integrationId ? [] : [guardItem(accountGuard)]),
          ...(displaced && holder
            ? [
                displaced.commit(entity),
                events.create(record(deps, { ...supersededEvent, ...subject(holder) })).commit(),
              ]
            : []),
        ])
        .go(),
    [
      write.label,
      { code: "event_exists", message: "Audit event id collision" },
      ...(guard?.integrationId === integration.integrationId ? [] : [guardLabel]),
      ...(displaced ? [displaced.label] : []),
    ],
  );
  // Committed: the connection stands. Telling other pending integrations is a courtesy (they
  // expire on their own); failing the callback now would fail a Create already recorded, and a
  // rollback whose Delete callback fails too would leave the integration on a dead stack.
  await supersedePending(deps, write.after).catch((e) =>
    log.warn("other pending integrations not superseded", {
      integrationId: integration.integrationId,
      error: e instanceof Error ? e.name : String(e),
    }),
  );
  return write.after;
}

const subject = (i: IntegrationRecord) => ({ integrationId: i.integrationId, tenantId: i.tenantId });

async function supersedePending(deps: Deps, winner: IntegrationRecord) {
  const { data } = await deps.service.entities.integration.query
    .byAccount({ accountId: winner.accountId, region: winner.region })
    .where(({ status }, { eq }) => eq(status, "pending"))
    .go({ limit: SUPERSEDE_LIMIT + 1 });
  const losers = data.filter(
    (i) => i.integrationId !== winner.integrationId && i.status === "pending" && !isExpired(i, deps.now()),
  );
  for (const loser of losers.slice(0, SUPERSEDE_LIMIT)) {
    // A loser that changed meanwhile (removed by its tenant) keeps what it became.
    await update(deps, loser, supersededPatch, supersededEvent).catch((e) => {
      if (!isStackfleetError(e, "conflict")) throw e;
    });
  }
}
