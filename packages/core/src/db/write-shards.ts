import { createHash } from "node:crypto";

/**
 * Write sharding for the index keys every rollout writes to at planning speed: runs and events by
 * version, and the sweeper's sparse `sweepDue` and `undelivered` indexes. A GSI partition takes
 * about 1,000 writes/s (AWS-FACTS.md), and planning writes one run and one event per integration
 * at up to 4,500/s (the planner's CreateSchedule bucket, ≥ 5,000/s with the quota raised), each
 * landing in two of these indexes, and a run's transitions rewrite its keys again. 16 shards take
 * ≈ 16,000 writes/s per index: 3× the target, so items of up to ~2 KB (an event's data) and an
 * uneven hash still fit. Readers query every shard in parallel (a constant, not growth with the
 * data), which is why it is not larger.
 */
export const WRITE_SHARDS = 16;

export const SHARDS: readonly number[] = Array.from({ length: WRITE_SHARDS }, (_, shard) => shard);

/** The shard of an item, from its id: the same id always lands in the same shard. */
export const writeShardOf = (id: string): number =>
  createHash("sha256").update(id).digest().readUInt16BE(0) % WRITE_SHARDS;

/**
 * The entity attribute that carries it: derived from `idAttribute` by ElectroDB on every create and
 * put (whatever the caller passed), never updated. An update that rewrites a key built from it
 * supplies it with `.composite({ shard })`; ElectroDB refuses the write otherwise.
 */
export const writeShardAttribute = (idAttribute: string) =>
  ({
    type: "number",
    readOnly: true,
    watch: [idAttribute],
    set: (_: number | undefined, item: Record<string, unknown>) => {
      const id = item[idAttribute];
      return typeof id === "string" ? writeShardOf(id) : undefined;
    },
  }) as const;
