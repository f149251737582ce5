import { SERVICE } from "../store/names";

export const tenantSchema = {
  model: { entity: "tenant", version: "1", service: SERVICE },
  attributes: {
    tenantId: { type: "string", required: true, readOnly: true },
    name: { type: "string", required: true },
    createdAt: { type: "string", required: true, readOnly: true },
  },
  indexes: {
    byId: {
      pk: { field: "pk", composite: ["tenantId"] },
      sk: { field: "sk", composite: [] },
    },
  },
} as const;

