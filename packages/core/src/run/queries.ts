import type { Deps } from "../context";
import type { RunRecord } from "./run";
import type { RunState } from "./run.entity";

/** Reads of runs by their indexes; exported with the rest of `Run` (run.ts). */

/** History of one integration, newest first. */
export async function byIntegration(deps: Deps, integrationId: string, limit = 50): Promise<RunRecord[]> {
  const { data } = await deps.service.entities.run.query.activity({ integrationId }).go({ order: "desc", limit });
  return data;
}

/** Rollout progress: runs of a version, optionally in one state. */
export async function byVersion(deps: Deps, version: string, state?: RunState): Promise<RunRecord[]> {
  const query = deps.service.entities.run.query.byVersion(state ? { version, state } : { version });
  const { data } = await query.go({ pages: "all" });
  return data;
}
