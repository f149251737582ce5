import { SERVICE } from "../db/names";

/** Singletons: `global` carries the kill switch; `rollout-policy` the rollout defaults. */
export const controlSchema = {
  model: { entity: "control", version: "1", service: SERVICE },
  attributes: {
    name: { type: ["global", "rollout-policy"] as const, required: true, readOnly: true },
    halted: { type: "boolean", required: true, default: false },
    reason: { type: "string" },
    changedBy: { type: "string" },
    policy: { type: "any" },
    updatedAt: { type: "string", required: true },
  },
  indexes: {
    byName: {
      pk: { field: "pk", composite: [] },
      sk: { field: "sk", composite: ["name"] },
    },
  },
} as const;
