import type { EntityItem } from "electrodb";
import semver from "semver";
import { type Changelog, computeChangelog, DEFAULT_GRACE_POLICY, headline } from "../changelog/index";
import type { Deps } from "../context";
import type { Entities } from "../db/service";
import { isStackfleetError } from "../error";
import { parseTemplate } from "../template/parse";
import { HOUR_MS } from "../time";
import { type TemplateSource, verifiedTemplate } from "./verified-template";
import type { VersionRecord } from "./version";

export type ChangelogPair = EntityItem<Entities["changelogPair"]>;
type VersionBytes = Pick<VersionRecord, "version" | "templateSha256">;

/**
 * What a customer sees is computed from the version their stack runs, never from the previous
 * published one: skipping 1.1.0 hides 1.1.0, so 1.0.0 → 1.2.0 carries 1.1.0's changes, its
 * broadening verdict and its grace. One entry per pair, valid only for the digests it names.
 */
export async function cachedPair(deps: Deps, from: VersionBytes, to: VersionBytes) {
  const { data } = await deps.service.entities.changelogPair.get({ from: from.version, to: to.version }).go();
  if (!data || data.fromSha256 !== from.templateSha256 || data.toSha256 !== to.templateSha256) return undefined;
  return data;
}

/** The pair's changelog: from the cache, or computed from both versions' verified bytes and cached. */
export async function pairChangelog(
  deps: Deps,
  source: TemplateSource,
  from: VersionRecord,
  to: VersionRecord,
): Promise<ChangelogPair> {
  const cached = await cachedPair(deps, from, to);
  if (cached) return cached;
  const [before, after] = await Promise.all([verifiedTemplate(deps, source, from), verifiedTemplate(deps, source, to)]);
  const changelog = computeChangelog(parseTemplate(before.bytes), parseTemplate(after.bytes), {
    from: from.version,
    to: to.version,
  });
  return storePair(deps, from, to, changelog);
}

export async function storePair(deps: Deps, from: VersionBytes, to: VersionBytes, changelog: Changelog) {
  const item = {
    from: from.version,
    to: to.version,
    fromSha256: from.templateSha256,
    toSha256: to.templateSha256,
    changelog,
    summary: headline(changelog),
    permissionsBroadened: changelog.permissionsBroadened,
    computedAt: deps.now().toISOString(),
  };
  // Equal inputs give byte-identical changelogs, so a racing writer writes the same thing.
  await deps.service.entities.changelogPair.put(item).go();
  return item as ChangelogPair;
}

/**
 * At publication: the new version against every earlier one a customer may still run, so the
 * planner and the views read verdicts instead of computing them. An earlier version whose bytes
 * no longer verify is quarantined by the read and left out.
 */
export async function precomputePairs(deps: Deps, source: TemplateSource, to: VersionRecord, earlier: VersionRecord[]) {
  for (const from of earlier) {
    if (from.quarantinedAt || !semver.lt(from.version, to.version)) continue;
    try {
      await pairChangelog(deps, source, from, to);
    } catch (error) {
      // The version is recorded already: an old version whose bytes are gone or no longer verify
      // (quarantined by the read) only loses its cache entry, and customers still on it get the
      // broadening verdict, the longer grace, until a pair can be computed from verified bytes.
      if (!isStackfleetError(error)) throw error;
    }
  }
}

export interface CustomerVerdict {
  from: string | null;
  summary?: string;
  permissionsBroadened: boolean;
  graceHours: number;
  graceEndsAt: string;
}

/**
 * What a customer at `installed` is told about `to`: the pair's summary and verdict, and the
 * version's own grace end — or later, when the customer's changelog broadens permissions and the
 * version's own did not (a skipped broadening version makes the next one broadening for them).
 * A pair between two published versions with no verified changelog counts as broadening: when
 * in doubt, the longer grace. `installed` undefined: the version's own verdict.
 */
export async function customerVerdict(
  deps: Deps,
  installed: VersionBytes | undefined,
  to: VersionRecord,
): Promise<CustomerVerdict> {
  return verdictWith(installed, to, installed ? await cachedPair(deps, installed, to) : undefined);
}

/** `customerVerdict` for a caller that read the pair already (undefined: none cached for these bytes). */
export function verdictWith(
  installed: VersionBytes | undefined,
  to: Omit<VersionRecord, "changelog" | "manifest" | "signature">,
  pair: ChangelogPair | undefined,
): CustomerVerdict {
  const verdict = pair
    ? { summary: pair.summary, permissionsBroadened: pair.permissionsBroadened }
    : installed
      ? { summary: undefined, permissionsBroadened: true }
      : { summary: to.changelogSummary, permissionsBroadened: to.permissionsBroadened };
  const created = Date.parse(to.createdAt);
  let graceEnd = Date.parse(to.graceEndsAt);
  if (verdict.permissionsBroadened && !to.permissionsBroadened) {
    const hours = to.graceHours ?? {
      default: DEFAULT_GRACE_POLICY.defaultHours,
      broadening: DEFAULT_GRACE_POLICY.broadeningHours,
    };
    const broadeningHours = Math.max(hours.default ?? 0, hours.broadening ?? 0);
    graceEnd = Math.max(graceEnd, created + broadeningHours * HOUR_MS);
  }
  return {
    from: installed?.version ?? null,
    ...verdict,
    graceHours: Math.round((graceEnd - created) / HOUR_MS),
    graceEndsAt: new Date(graceEnd).toISOString(),
  };
}
