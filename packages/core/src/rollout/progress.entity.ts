import { SERVICE } from "../db/names";

export const WAVES = ["canary", "main"] as const;
export type Wave = (typeof WAVES)[number];

/**
 * A wave's live tally, one item per (version, wave). Counted with atomic ADDs so the executor's
 * tolerance check sees every failure recorded before it, without reading the wave's runs.
 * `size` grows as the planner creates runs (in the same transaction), so a rollout planned over
 * several invocations is complete once planning is.
 */
export const waveTallySchema = {
  model: { entity: "waveTally", version: "1", service: SERVICE },
  attributes: {
    version: { type: "string", required: true, readOnly: true },
    wave: { type: WAVES, required: true, readOnly: true },
    size: { type: "number", default: 0 },
    finished: { type: "number", default: 0 },
    succeeded: { type: "number", default: 0 },
    failed: { type: "number", default: 0 },
    lastFinishedAt: { type: "string" },
    /** Runs of the wave between claim and final outcome: taken in the claim, given back in the final transition. */
    inFlight: { type: "number", default: 0 },
    /**
     * Failures an operator accepted by resuming the version after it halted itself: the tolerance
     * (and the failure-shrunk concurrency) count only the failures after them. Without it a resumed
     * version's waiting runs were held for ever ("tolerance_exceeded"), the version published.
     */
    accepted: { type: "number", default: 0 },
  },
  indexes: {
    byVersion: {
      pk: { field: "pk", composite: ["version"] },
      sk: { field: "sk", composite: ["wave"] },
    },
  },
} as const;

/**
 * The outcome counted for one integration in one version's rollout. The tally counts
 * integrations, not runs (a retried or re-planned integration counts once), and this item is
 * what makes recording an outcome idempotent: it names the run last counted.
 */
export const integrationOutcomeSchema = {
  model: { entity: "integrationOutcome", version: "1", service: SERVICE },
  attributes: {
    version: { type: "string", required: true, readOnly: true },
    integrationId: { type: "string", required: true, readOnly: true },
    wave: { type: WAVES, required: true },
    runId: { type: "string", required: true },
    outcome: { type: ["succeeded", "failed", "finished"] as const, required: true },
    reason: { type: "string" },
    at: { type: "string", required: true },
  },
  indexes: {
    byIntegration: {
      pk: { field: "pk", composite: ["version", "integrationId"] },
      sk: { field: "sk", composite: [] },
    },
  },
} as const;
