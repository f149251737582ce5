import { SERVICE } from "../db/names";
import { writeShardAttribute } from "../db/write-shards";

/**
 * The GSIs key events by tenant, integration and version. An event about none of them (a global
 * halt) keeps "-" there, so it lands in one system-wide partition per index; reads see undefined.
 */
export const NO_SUBJECT = "-";
const subject = {
  type: "string",
  readOnly: true,
  default: NO_SUBJECT,
  get: (value?: string) => (value === NO_SUBJECT ? undefined : value),
} as const;

export const eventSchema = {
  model: { entity: "event", version: "1", service: SERVICE },
  attributes: {
    eventId: { type: "string", required: true, readOnly: true },
    at: { type: "string", required: true, readOnly: true },
    /** "tenant:<id>", "operator:<sub>", "system:executor", "customer-stack", … */
    actor: { type: "string", required: true, readOnly: true },
    action: { type: "string", required: true, readOnly: true },
    reason: { type: "string", readOnly: true },
    tenantId: subject,
    integrationId: subject,
    version: subject,
    runId: { type: "string", readOnly: true },
    data: { type: "any", readOnly: true },
    /** Customer-visible events are notifications: the outbox delivers them. */
    notify: { type: "boolean", required: true, default: false, readOnly: true },
    deliveredAt: { type: "string" },
    /** Spreads the version and outbox indexes over `WRITE_SHARDS` partitions (db/write-shards.ts). */
    shard: writeShardAttribute("eventId"),
  },
  indexes: {
    byId: {
      pk: { field: "pk", composite: ["eventId"] },
      sk: { field: "sk", composite: [] },
    },
    activity: {
      index: "gsi1",
      collection: "activity",
      pk: { field: "gsi1pk", composite: ["integrationId"] },
      sk: { field: "gsi1sk", composite: ["at", "eventId"] },
    },
    byTenant: {
      index: "gsi2",
      pk: { field: "gsi2pk", composite: ["tenantId"] },
      sk: { field: "gsi2sk", composite: ["at", "eventId"] },
    },
    byVersion: {
      index: "gsi3",
      pk: { field: "gsi3pk", composite: ["version", "shard"] },
      sk: { field: "gsi3sk", composite: ["at", "eventId"] },
    },
    /** Sparse: notifications not delivered yet, oldest first in each write shard — the sweeper's outbox. A delivery stamp drops the keys. */
    undelivered: {
      index: "gsi4",
      pk: { field: "gsi4pk", composite: ["shard"] },
      sk: { field: "gsi4sk", composite: ["at", "eventId"] },
      condition: (attributes: Record<string, unknown>) =>
        attributes.notify === true && attributes.deliveredAt === undefined,
    },
  },
} as const;
