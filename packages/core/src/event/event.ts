import type { EntityItem } from "electrodb";
import type { Actor, Deps } from "../context";
import type { Entities } from "../db/service";

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

export async function byVersion(
  deps: Deps,
  version: string,
  page: { limit?: number; cursor?: string | null } = {},
): Promise<Page<EventRecord>> {
  const { data, cursor } = await deps.service.entities.event.query
    .byVersion({ version })
    .go({ order: "desc", limit: page.limit ?? 50, cursor: page.cursor ?? null });
  return { items: data as EventRecord[], cursor };
}
