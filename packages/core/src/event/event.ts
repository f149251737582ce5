import type { EntityItem } from "electrodb";
import type { Actor, Deps } from "../context";
import type { Entities } from "../db/service";
import { mergedPage } from "../db/shard-reads";
import * as z from "../zod-mini";

export interface EventInput {
  actor: Actor;
  action: string;
  reason?: string;
  tenantId?: string;
  integrationId?: string;
  version?: string;
  runId?: string;
  data?: Record<string, unknown>;
  /** Customer-visible: delivered as a notification through the outbox. */
  notify?: boolean;
}

export type EventRecord = EntityItem<Entities["event"]>;

/** The item to create for an audit event; callers put it in the same transaction as the change. */
export function record(deps: Deps, input: EventInput) {
  return {
    eventId: deps.newId("event"),
    at: deps.now().toISOString(),
    ...input,
    notify: input.notify ?? false,
  };
}

/** Appends an event on its own (no state change goes with it, e.g. a refused request). */
export async function append(deps: Deps, input: EventInput): Promise<EventRecord> {
  const item = record(deps, input);
  const { data } = await deps.service.entities.event.create(item).go();
  return data as EventRecord;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export async function byIntegration(
  deps: Deps,
  integrationId: string,
  page: { limit?: number; cursor?: string | null } = {},
): Promise<Page<EventRecord>> {
  const { data, cursor } = await deps.service.entities.event.query
    .activity({ integrationId })
    .go({ order: "desc", limit: page.limit ?? 50, cursor: page.cursor ?? null });
  return { items: data as EventRecord[], cursor };
}

export async function byTenant(
  deps: Deps,
  tenantId: string,
  page: { limit?: number; cursor?: string | null } = {},
): Promise<Page<EventRecord>> {
  const { data, cursor } = await deps.service.entities.event.query
    .byTenant({ tenantId })
    .go({ order: "desc", limit: page.limit ?? 50, cursor: page.cursor ?? null });
  return { items: data as EventRecord[], cursor };
}

/** An event's place in the `byVersion` and `undelivered` indexes (time, then id) as DynamoDB orders it. */
export const timeKeyOf = (event: Pick<EventRecord, "at" | "eventId">) => `${event.at}#${event.eventId}`.toLowerCase();

/** A version's events, newest first, across the index's write shards (db/shard-reads.ts). */
export async function byVersion(
  deps: Deps,
  version: string,
  page: { limit?: number; cursor?: string | null } = {},
): Promise<Page<EventRecord>> {
  const { items, cursor } = await mergedPage(
    {
      read: (shard, after, limit) => {
        const query = deps.service.entities.event.query.byVersion({ version, shard });
        return (after ? query.lt(after) : query).go({ order: "desc", limit, count: limit });
      },
      positionOf: ({ at, eventId }) => ({ at, eventId }),
      position: z.strictObject({ at: z.string().check(z.maxLength(64)), eventId: z.string().check(z.maxLength(128)) }),
      keyOf: timeKeyOf,
      order: "desc",
    },
    { limit: page.limit ?? 50, cursor: page.cursor ?? null },
  );
  return { items: items as EventRecord[], cursor };
}
