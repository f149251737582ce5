import { SERVICE } from "../db/names";

export const VERSION_STATES = ["published", "halted", "withdrawn"] as const;
export type VersionState = (typeof VERSION_STATES)[number];

export const versionSchema = {
  model: { entity: "version", version: "1", service: SERVICE },
  attributes: {
    /** Semver; compared as semver, never as a string. */
    version: { type: "string", required: true, readOnly: true },
    /** Monotonic publication order; the primary sort key, so "latest first" is a descending query. */
    sequence: { type: "number", required: true, readOnly: true, padding: { length: 10, char: "0" } },
    templateSha256: { type: "string", required: true, readOnly: true },
    templateSize: { type: "number", required: true, readOnly: true },
    templateLocation: { type: "string", required: true, readOnly: true },
    /** The exact signed manifest bytes (base64) and DER signature (base64). */
    manifest: { type: "string", required: true, readOnly: true },
    signature: { type: "string", required: true, readOnly: true },
    keyId: { type: "string", required: true, readOnly: true },
    changelog: { type: "any" },
    changelogSummary: { type: "string" },
    permissionsBroadened: { type: "boolean", required: true, default: false },
    approvalRequired: { type: "boolean", required: true, default: false },
    approvedBy: { type: "string" },
    /** The approver's second signature (base64 DER) over `manifest`, by a pinned approver key. */
    approval: { type: "map", properties: { keyId: { type: "string" }, signature: { type: "string" } } },
    graceEndsAt: { type: "string", required: true },
    state: { type: VERSION_STATES, required: true },
    stateReason: { type: "string" },
    /** Set once when a signature or digest check failed anywhere: the version never resumes. */
    quarantinedAt: { type: "string" },
    /** The grace hours in force at publication, so a customer's own grace follows the same policy. */
    graceHours: { type: "map", properties: { default: { type: "number" }, broadening: { type: "number" } } },
    rollout: { type: "any" },
    publishedBy: { type: "string", required: true, readOnly: true },
    createdAt: { type: "string", required: true, readOnly: true },
    updatedAt: { type: "string", required: true },
  },
  indexes: {
    bySequence: {
      pk: { field: "pk", composite: [] },
      sk: { field: "sk", composite: ["sequence"] },
    },
    bySemver: {
      index: "gsi1",
      pk: { field: "gsi1pk", composite: ["version"] },
      sk: { field: "gsi1sk", composite: [] },
    },
  },
} as const;
