import { SERVICE } from "../db/names";

/**
 * One registered integration per account+region at a time: the stack name and its role names are
 * fixed per account+region, so two would collide. Taken by the registration that proves the
 * account (two-sided AssumeRole), in the same transaction that connects the integration, and
 * released when it is removed — a GSI query could not make this atomic.
 */
export const accountGuardSchema = {
  model: { entity: "accountguard", version: "1", service: SERVICE },
  attributes: {
    accountId: { type: "string", required: true, readOnly: true },
    region: { type: "string", required: true, readOnly: true },
    /** Moves to another integration when that one's stack proves the account at registration. */
    integrationId: { type: "string", required: true },
  },
  indexes: {
    byAccount: {
      pk: { field: "pk", composite: ["accountId", "region"] },
      sk: { field: "sk", composite: [] },
    },
  },
} as const;

/**
 * ExternalId → integration, keyed by the ExternalId's SHA-256 (the value itself stays only on the
 * integration). Lets a registration that names the right ExternalId from the wrong account be
 * refused on that integration's own audit trail, where its tenant sees it.
 */
export const externalIdIndexSchema = {
  model: { entity: "externalidindex", version: "1", service: SERVICE },
  attributes: {
    externalIdHash: { type: "string", required: true, readOnly: true },
    integrationId: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    byHash: {
      pk: { field: "pk", composite: ["externalIdHash"] },
      sk: { field: "sk", composite: [] },
    },
  },
} as const;
