import { SERVICE } from "../db/names";

/**
 * Whose turn it is on one customer stack: the run between its claim and its final transition.
 * Taken inside the claim's transaction and given back inside the transition that leaves flight,
 * so "never two runs acting on one stack" is a condition DynamoDB enforces, not a timing. Two
 * versions' runs for one integration can fall due at the same moment (a maintenance window opens,
 * a retry meets a newer version's run); without it both were claimed, and the second found the
 * stack UPDATE_IN_PROGRESS and failed — a failure the customer was told about and the version's
 * failure tolerance counted.
 */
export const stackLockSchema = {
  model: { entity: "stackLock", version: "1", service: SERVICE },
  attributes: {
    integrationId: { type: "string", required: true, readOnly: true },
    runId: { type: "string", required: true },
    version: { type: "string", required: true },
    takenAt: { type: "string", required: true },
  },
  indexes: {
    byIntegration: {
      pk: { field: "pk", composite: ["integrationId"] },
      sk: { field: "sk", composite: [] },
    },
  },
} as const;
