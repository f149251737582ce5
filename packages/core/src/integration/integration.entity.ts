import { SERVICE } from "../db/names";

export const INTEGRATION_STATUSES = ["pending", "connected", "access-lost", "removed"] as const;
export type IntegrationStatus = (typeof INTEGRATION_STATUSES)[number];

/** Rollout planning reads the `eligible` pool in this many shards so no GSI partition runs hot. */
export const PLAN_SHARDS = 16;

export const integrationSchema = {
  model: { entity: "integration", version: "1", service: SERVICE },
  attributes: {
    integrationId: { type: "string", required: true, readOnly: true },
    tenantId: { type: "string", required: true, readOnly: true },
    accountId: { type: "string", required: true, readOnly: true },
    region: { type: "string", required: true, readOnly: true },
    stackName: { type: "string", required: true, readOnly: true },
    /** Ours, generated at creation; never settable by a client. */
    externalId: { type: "string", required: true, readOnly: true },
    status: { type: INTEGRATION_STATUSES, required: true },
    statusReason: { type: "string" },
    autoUpdate: { type: "boolean", required: true },
    autoUpdateReason: { type: "string" },
    integrationRoleArn: { type: "string" },
    updateRoleArn: { type: "string" },
    serviceRoleArn: { type: "string" },
    stackId: { type: "string" },
    skippedVersions: { type: "set", items: "string" },
    currentVersion: { type: "string" },
    currentSequence: { type: "number", required: true, default: 0 },
    /**
     * The live stack's operation time (LastUpdatedTime/CreationTime) and CloudFormation RequestId
     * of the last callback applied: an older operation changes nothing.
     */
    stackOperationAt: { type: "string" },
    lastRequestId: { type: "string" },
    /** A pending integration nobody installed is gone after this (checked on every read). */
    pendingUntil: { type: "string" },
    /** Epoch seconds: the table's TTL deletes an expired pending integration, a while after `pendingUntil`. */
    expiresAt: { type: "number" },
    maintenanceWindow: {
      type: "map",
      properties: {
        /** 0 = Sunday … 6 = Saturday, in `timezone`. */
        days: { type: "list", items: { type: "number" }, required: true },
        startMinute: { type: "number", required: true },
        durationMinutes: { type: "number", required: true },
        timezone: { type: "string", required: true },
      },
    },
    /** Derived from status + autoUpdate by core on every write: `eligible` or `ineligible`. */
    planState: { type: ["eligible", "ineligible"] as const, required: true },
    planShard: { type: "number", required: true },
    createdAt: { type: "string", required: true, readOnly: true },
    updatedAt: { type: "string", required: true },
    /** Optimistic-concurrency counter: every write is conditional on the revision it read. */
    rev: { type: "number", required: true, default: 0 },
  },
  indexes: {
    byId: {
      pk: { field: "pk", composite: ["integrationId"] },
      sk: { field: "sk", composite: [] },
    },
    activity: {
      index: "gsi1",
      collection: "activity",
      pk: { field: "gsi1pk", composite: ["integrationId"] },
      sk: { field: "gsi1sk", composite: [] },
    },
    byTenant: {
      index: "gsi2",
      pk: { field: "gsi2pk", composite: ["tenantId"] },
      sk: { field: "gsi2sk", composite: ["createdAt", "integrationId"] },
    },
    byAccount: {
      index: "gsi3",
      pk: { field: "gsi3pk", composite: ["accountId", "region"] },
      sk: { field: "gsi3sk", composite: ["integrationId"] },
    },
    byPlanState: {
      index: "gsi4",
      pk: { field: "gsi4pk", composite: ["planState", "planShard"] },
      sk: { field: "gsi4sk", composite: ["integrationId"] },
    },
  },
} as const;
