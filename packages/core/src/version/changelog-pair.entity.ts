import { SERVICE } from "../db/names";

/**
 * The changelog between two versions, as a customer at `from` sees `to`: computed once from
 * both versions' verified bytes and kept, keyed by the pair. The digests it was computed from
 * travel with it, so an entry can never describe other bytes than the signed ones.
 */
export const changelogPairSchema = {
  model: { entity: "changelogPair", version: "1", service: SERVICE },
  attributes: {
    from: { type: "string", required: true, readOnly: true },
    to: { type: "string", required: true, readOnly: true },
    fromSha256: { type: "string", required: true },
    toSha256: { type: "string", required: true },
    changelog: { type: "any", required: true },
    summary: { type: "string", required: true },
    permissionsBroadened: { type: "boolean", required: true },
    computedAt: { type: "string", required: true },
  },
  indexes: {
    byPair: {
      pk: { field: "pk", composite: ["from", "to"] },
      sk: { field: "sk", composite: [] },
    },
  },
} as const;
