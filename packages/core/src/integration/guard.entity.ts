import { SERVICE } from "../store/names";

/**
 * One integration per account+region at a time: the stack name and its role names are fixed per
 * account+region, so two would collide. Written in the same transaction as the integration
 * (a conditional put), released when it is removed — a GSI query could not make this atomic.
 */
export const accountGuardSchema = {
  model: { entity: "accountguard", version: "1", service: SERVICE },
  attributes: {
    accountId: { type: "string", required: true, readOnly: true },
    region: { type: "string", required: true, readOnly: true },
    integrationId: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    byAccount: {
      pk: { field: "pk", composite: ["accountId", "region"] },
      sk: { field: "sk", composite: [] },
    },
  },
} as const;
