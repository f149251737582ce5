import type { EntityItem } from "electrodb";
import semver from "semver";
import type { Deps } from "../context";
import type { Entities } from "../db/service";
import { inputError, notFound } from "../error";

export type VersionRecord = EntityItem<Entities["version"]>;

export function assertSemver(version: string): string {
  if (semver.valid(version) !== version)
    throw inputError("version_invalid", `"${version}" is not a semantic version like 1.2.3`);
  return version;
}

/** The newest publication (highest sequence), whatever its state. */
export async function latest(deps: Deps): Promise<VersionRecord | undefined> {
  const { data } = await deps.service.entities.version.query.bySequence({}).go({ order: "desc", limit: 1 });
  return data[0];
}

/** The newest version customers may install or be updated to. */
export async function latestPublished(deps: Deps): Promise<VersionRecord | undefined> {
  const { data } = await deps.service.entities.version.query
    .bySequence({})
    .where(({ state }, { eq }) => eq(state, "published"))
    .go({ order: "desc", limit: 1, pages: "all" });
  return data[0];
}

/** A version by semver, or undefined (also for strings that are not semver). */
export async function findBySemver(deps: Deps, version: string): Promise<VersionRecord | undefined> {
  if (semver.valid(version) !== version) return undefined;
  const { data } = await deps.service.entities.version.query.bySemver({ version }).go({ limit: 1 });
  return data[0];
}

export async function get(deps: Deps, version: string): Promise<VersionRecord> {
  const found = await findBySemver(deps, assertSemver(version));
  if (!found) throw notFound("version_not_found", `Version ${version} does not exist`);
  return found;
}

/** A version by its primary key: one GetItem, for callers (a run) that already hold the sequence. */
export async function getBySequence(deps: Deps, sequence: number): Promise<VersionRecord> {
  const { data } = await deps.service.entities.version.get({ sequence }).go();
  if (!data) throw notFound("version_not_found", `Version #${sequence} does not exist`);
  return data;
}

export async function list(deps: Deps, page: { limit?: number; cursor?: string | null } = {}) {
  const { data, cursor } = await deps.service.entities.version.query
    .bySequence({})
    .go({ order: "desc", limit: page.limit ?? 50, cursor: page.cursor ?? null });
  return { items: data, cursor };
}
