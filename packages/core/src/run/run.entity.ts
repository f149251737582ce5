import { SERVICE } from "../db/names";
import { writeShardAttribute } from "../db/write-shards";
import { SWEEP_DONE, sweepAtFor } from "./sweep-due";

export const RUN_STATES = [
  "scheduled",
  "claimed",
  "skipped",
  "ineligible",
  "executing",
  "watching",
  "succeeded",
  "failed",
  "cancelled",
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const runSchema = {
  model: { entity: "run", version: "1", service: SERVICE },
  attributes: {
    runId: { type: "string", required: true, readOnly: true },
    integrationId: { type: "string", required: true, readOnly: true },
    tenantId: { type: "string", required: true, readOnly: true },
    version: { type: "string", required: true, readOnly: true },
    sequence: { type: "number", required: true, readOnly: true },
    /** 1 for the first attempt; a retry is a new run with attempt + 1. */
    attempt: { type: "number", required: true, readOnly: true },
    wave: { type: "string" },
    state: { type: RUN_STATES, required: true },
    reason: { type: "string" },
    scheduledFor: { type: "string", required: true },
    scheduleName: { type: "string" },
    changeSetId: { type: "string" },
    outcome: { type: "string" },
    /** Hand-overs to a later "watch" invocation so far; names the next watch schedule. */
    watches: { type: "number" },
    claimedAt: { type: "string" },
    /** While claimed, executing or watching: until when the holder may act before another delivery takes over. */
    leaseUntil: { type: "string" },
    /** Who holds the lease: a live invocation, or a "watch" schedule the run was handed over to. */
    leasedTo: { type: ["invocation", "schedule"] as const },
    /** Set at claim when the run took one of its wave's in-flight slots; released by its final transition. */
    holdsSlot: { type: "boolean" },
    /** Set at claim with the stack's turn (run/stack-lock.ts); given back by the transition out of flight. */
    holdsStack: { type: "boolean" },
    /**
     * When the sweeper should look at this run if it is still where it is now ("none" once it is
     * final). Derived, never written by hand: the sparse `sweepDue` index lists only live runs.
     */
    sweepAt: {
      type: "string",
      watch: ["state", "scheduledFor", "leaseUntil", "leasedTo"],
      set: (value: string | undefined, item: Record<string, unknown>) => sweepAtFor(item) ?? value,
    },
    finishedAt: { type: "string" },
    /** Spreads the version and sweep indexes over `WRITE_SHARDS` partitions (db/write-shards.ts). */
    shard: writeShardAttribute("runId"),
    createdAt: { type: "string", required: true, readOnly: true },
    updatedAt: { type: "string", required: true },
    rev: { type: "number", required: true, default: 0 },
  },
  indexes: {
    byId: {
      pk: { field: "pk", composite: ["runId"] },
      sk: { field: "sk", composite: [] },
    },
    activity: {
      index: "gsi1",
      collection: "activity",
      pk: { field: "gsi1pk", composite: ["integrationId"] },
      sk: { field: "gsi1sk", composite: ["createdAt", "runId"] },
    },
    byVersion: {
      index: "gsi2",
      pk: { field: "gsi2pk", composite: ["version", "shard"] },
      sk: { field: "gsi2sk", composite: ["state", "runId"] },
    },
    /** Sparse: runs that are not final, by when they are overdue (sweeper), in every write shard. */
    sweepDue: {
      index: "gsi3",
      pk: { field: "gsi3pk", composite: ["shard"] },
      sk: { field: "gsi3sk", composite: ["sweepAt"] },
      condition: (attributes: Record<string, unknown>) =>
        typeof attributes.sweepAt === "string" && attributes.sweepAt !== SWEEP_DONE,
    },
  },
} as const;
