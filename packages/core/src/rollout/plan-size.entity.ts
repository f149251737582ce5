import { SERVICE } from "../db/names";
import { WAVES } from "./progress.entity";

/**
 * The planner's share of a wave's size, one item per (version, wave, planning shard). The bulk
 * planner counts the runs it creates here, in the same transaction as the runs, rather than on
 * the wave's one tally item: parallel shards writing one item would only contend (DynamoDB
 * cancels transactions that meet on an item). `folded` is how much of `planned` has been added
 * to the tally's `size` since (plan-size.ts), so folding is idempotent and survives a crash.
 */
export const waveSizePartSchema = {
  model: { entity: "waveSizePart", version: "1", service: SERVICE },
  attributes: {
    version: { type: "string", required: true, readOnly: true },
    wave: { type: WAVES, required: true, readOnly: true },
    shard: { type: "number", required: true, readOnly: true },
    planned: { type: "number", default: 0 },
    folded: { type: "number", default: 0 },
  },
  indexes: {
    byVersion: {
      pk: { field: "pk", composite: ["version"] },
      sk: { field: "sk", composite: ["wave", "shard"] },
    },
  },
} as const;
