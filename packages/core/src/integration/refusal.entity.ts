import { SERVICE } from "../db/names";

/**
 * Refused callbacks, counted: one item per integration and time window however many requests
 * arrive, so an unauthenticated caller holding an ExternalId cannot write unbounded data.
 */
export const callbackRefusalSchema = {
  model: { entity: "callbackrefusal", version: "1", service: SERVICE },
  attributes: {
    integrationId: { type: "string", required: true, readOnly: true },
    /** ISO start of the window. */
    window: { type: "string", required: true, readOnly: true },
    count: { type: "number" },
    firstSeen: { type: "string", required: true },
    lastSeen: { type: "string", required: true },
    lastReason: { type: "string", required: true },
    lastRequestType: { type: "string", required: true },
    /** Epoch seconds (table TTL): counters are kept for a while, not forever. */
    expiresAt: { type: "number", required: true },
  },
  indexes: {
    byIntegration: {
      pk: { field: "pk", composite: ["integrationId"] },
      sk: { field: "sk", composite: ["window"] },
    },
  },
} as const;
