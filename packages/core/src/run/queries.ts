import type { Deps } from "../context";
import { byKey, everyShard, nextFromEveryShard, type ShardPage } from "../db/shard-reads";
import type { RunRecord } from "./run";
import type { RunState } from "./run.entity";

/** Reads of runs by their indexes; exported with the rest of `Run` (run.ts). */

/** History of one integration, newest first. */
export async function byIntegration(deps: Deps, integrationId: string, limit = 50): Promise<RunRecord[]> {
  const { data } = await deps.service.entities.run.query.activity({ integrationId }).go({ order: "desc", limit });
  return data;
}

/** The `byVersion` index's sort key (state, then run id) as DynamoDB orders it. */
export const versionKeyOf = (run: Pick<RunRecord, "state" | "runId">) => `${run.state}#${run.runId}`.toLowerCase();

/** Rollout progress: runs of a version, optionally in one state, in index order (state, then id) across its shards. */
export async function byVersion(deps: Deps, version: string, state?: RunState): Promise<RunRecord[]> {
  const runs = await everyShard((shard) =>
    deps.service.entities.run.query
      .byVersion(state ? { version, shard, state } : { version, shard })
      .go({ pages: "all" }),
  );
  return runs.sort(byKey(versionKeyOf));
}

/**
 * The next runs of a version in one state, about `limit` a call, for loops that visit each once
 * (cancel, re-schedule) and may change them as they go; no order across shards. `cursor` null:
 * from the start; a null cursor back: no more.
 */
export function pageByVersion<K extends keyof RunRecord = keyof RunRecord>(
  deps: Deps,
  version: string,
  state: RunState,
  page: { limit: number; cursor: string | null; attributes?: K[] },
): Promise<ShardPage<Pick<RunRecord, K>>> {
  return nextFromEveryShard(
    (shard, cursor, limit) =>
      deps.service.entities.run.query
        .byVersion({ version, shard, state })
        .go({ limit, cursor, ...(page.attributes ? { attributes: page.attributes } : {}) }) as Promise<
        ShardPage<Pick<RunRecord, K>>
      >,
    page,
  );
}
