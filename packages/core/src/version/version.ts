import type { EntityItem } from "electrodb";
import type { Deps } from "../context";
import type { Entities } from "../db/service";
import { inputError, notFound } from "../error";
import semver from "./semver";

export type VersionRecord = EntityItem<Entities["version"]>;

export function assertSemver(version: string): string {
  if (semver.valid(version) !== version)
    throw inputError("version_invalid", `"${version}" is not a semantic version like 1.2.3`);
  return version;
}

/** The newest publication (highest sequence), whatever its state. */
export async function latest(deps: Deps): Promise<VersionRecord | undefined> {
  const { data } = await deps.service.entities.version.query.bySequence({}).go({ order: "desc", limit: 1 });
  rememberNewest(deps, data[0]?.sequence ?? 0);
  return data[0];
}

/**
 * The newest version customers may install or be updated to. Only halted or withdrawn versions
 * newer than it are read past, a page of ten at a time: one request unless ten in a row are halted.
 */
export async function latestPublished(deps: Deps): Promise<VersionRecord | undefined> {
  const { data } = await deps.service.entities.version.query
    .bySequence({})
    .where(({ state }, { eq }) => eq(state, "published"))
    .go({ order: "desc", limit: 10, count: 1 });
  return data[0];
}

/**
 * The newest sequence this process saw, per service. A hint, not a truth: views read the version
 * items around it in their one batch and fall back to `latest` when sequence + 1 exists or the
 * hinted one is gone, so a stale hint costs one request, never a wrong answer. The short expiry
 * only bounds how long a non-contiguous table (hand-written fixtures) can hide a newer version.
 */
const HINT_TTL_MS = 10_000;
const newestHints = new WeakMap<object, { sequence: number; at: number }>();

export function rememberNewest(deps: Deps, sequence: number): void {
  newestHints.set(deps.service, { sequence, at: performance.now() });
}

/** The newest sequence as remembered (no request), or undefined when this process has no fresh hint. */
export function newestHint(deps: Deps): number | undefined {
  const hint = newestHints.get(deps.service);
  return hint && performance.now() - hint.at < HINT_TTL_MS ? hint.sequence : undefined;
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
