import type { Deps } from "../context";
import type { EventRecord } from "../event/event";
import { NOTIFIER_BATCH, type Notifier, toNotification } from "./notifier";

// BatchWriteItem's limit.
const STAMPS_PER_REQUEST = 25;

type Deliverable = Pick<EventRecord, "eventId" | "at" | "actor" | "action" | "notify"> & Partial<EventRecord>;

/**
 * The outbox: publishes the customer-visible events among `events` that are not delivered yet,
 * then stamps them `deliveredAt`. At least once: a crash between the two publishes again later,
 * and subscribers dedupe by `eventId`. Events are append-only, so the stamp is a put of the
 * event as read plus `deliveredAt` — batched, 25 to a request.
 */
export async function deliver(deps: Deps, notifier: Notifier, events: readonly Deliverable[]): Promise<number> {
  const due = events.filter((e) => e.notify && !e.deliveredAt) as EventRecord[];
  for (let i = 0; i < due.length; i += STAMPS_PER_REQUEST) {
    const batch = due.slice(i, i + STAMPS_PER_REQUEST);
    for (let j = 0; j < batch.length; j += NOTIFIER_BATCH)
      await notifier.publish(batch.slice(j, j + NOTIFIER_BATCH).map(toNotification));
    const deliveredAt = deps.now().toISOString();
    const { unprocessed } = await deps.service.entities.event.put(batch.map((e) => ({ ...e, deliveredAt }))).go();
    if (unprocessed.length > 0) {
      // Throttled puts: they stay undelivered and the sweeper sends them again.
      throw new Error(`${unprocessed.length} delivery stamps were not written`);
    }
  }
  return due.length;
}

/**
 * The sweeper: delivers what a request wrote but did not deliver itself (or failed to), for
 * one integration or one tenant, newest `limit` events first.
 */
export async function sweep(
  deps: Deps,
  notifier: Notifier,
  scope: { integrationId: string } | { tenantId: string },
  limit = 100,
): Promise<number> {
  const entity = deps.service.entities.event.query;
  const { data } =
    "integrationId" in scope
      ? await entity.activity({ integrationId: scope.integrationId }).go({ order: "desc", limit })
      : await entity.byTenant({ tenantId: scope.tenantId }).go({ order: "desc", limit });
  return deliver(deps, notifier, data as EventRecord[]);
}
