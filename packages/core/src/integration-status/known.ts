import type { Deps } from "../context";
import type { ChangelogPair } from "../version/customer-changelog";
import type { VersionRecord } from "../version/version";

/** The part of a version that never changes once written: `create` refuses a taken sequence. */
export type VersionBytes = Pick<VersionRecord, "version" | "sequence" | "templateSha256">;

/** Entries kept per kind; the oldest is forgotten first. */
const MAX_ENTRIES = 2_000;

/**
 * What a process may remember between requests because it cannot change: a version's semver and
 * digest by sequence (read-only attributes of an item written once), and a changelog pair keyed
 * by both digests it was computed from (equal inputs give byte-identical changelogs). Never the
 * halts, a version's state, approval or grace: those are read fresh by every view.
 */
export interface KnownFacts {
  bytes(sequence: number): VersionBytes | undefined;
  pair(from: VersionBytes, to: VersionBytes): ChangelogPair | undefined;
  rememberVersion(version: VersionBytes): void;
  rememberPair(pair: ChangelogPair): void;
}

const pairId = (from: string, fromSha: string, to: string, toSha: string) => `${from}@${fromSha}>${to}@${toSha}`;

function boundedMap<V>() {
  const map = new Map<string | number, V>();
  return {
    get: (key: string | number) => map.get(key),
    set(key: string | number, value: V) {
      if (!map.has(key) && map.size >= MAX_ENTRIES) map.delete(map.keys().next().value!);
      map.set(key, value);
    },
  };
}

function createKnownFacts(): KnownFacts {
  const versions = boundedMap<VersionBytes>();
  const pairs = boundedMap<ChangelogPair>();
  return {
    bytes: (sequence) => versions.get(sequence),
    pair: (from, to) => pairs.get(pairId(from.version, from.templateSha256, to.version, to.templateSha256)),
    rememberVersion: ({ version, sequence, templateSha256 }) =>
      versions.set(sequence, { version, sequence, templateSha256 }),
    rememberPair: (pair) => pairs.set(pairId(pair.from, pair.fromSha256, pair.to, pair.toSha256), pair),
  };
}

/** One memory per service (so per table), like the newest-version hint. */
const byService = new WeakMap<object, KnownFacts>();

export function knownFacts(deps: Deps): KnownFacts {
  let known = byService.get(deps.service);
  if (!known) byService.set(deps.service, (known = createKnownFacts()));
  return known;
}
