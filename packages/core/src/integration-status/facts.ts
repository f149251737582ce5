import type { BatchGetCommandInput, BatchGetCommandOutput } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "../context";
import type { IntegrationRecord } from "../integration/integration";
import type { RunRecord } from "../run/run";
import type { ChangelogPair } from "../version/customer-changelog";
import type { GlobalControl } from "../version/halts";
import * as Version from "../version/version";
import { knownFacts, type VersionBytes } from "./known";

/** A version as the facts carry it: without its full changelog, manifest and signature (see PROJECTED). */
export type VersionSummary = Omit<Version.VersionRecord, "changelog" | "manifest" | "signature">;
type VersionRecord = VersionSummary;

/** Everything the status rules read besides the integration and its runs. */
export interface StatusFacts {
  /** When the facts were read: the status is as of then. */
  now: Date;
  control: GlobalControl;
  /** By semver: the installed version, each waiting run's, the newest few. */
  versions: Map<string, VersionRecord>;
  /** Installed versions' digests this process knew already (so not in `versions`), by semver. */
  installed: Map<string, VersionBytes>;
  /** The newest publication, whatever its state. */
  newest: VersionRecord | undefined;
  latestPublished: VersionRecord | undefined;
  /** Cached changelogs from the installed version, keyed by `pairKey`. */
  pairs: Map<string, ChangelogPair>;
}

export const pairKey = (from: string, to: string) => `${from}>${to}`;

/** Below the hinted newest: enough halted versions in a row to find the latest published one. */
const BEHIND_NEWEST = 2;
const BATCH_LIMIT = 100;
/**
 * What the status rules read of the control, version and changelog-pair items: everything but the
 * full changelogs, the manifest and the signature, the bulk of a version's bytes. (The versions
 * in the facts therefore lack those three.)
 */
const PROJECTED = [
  ...["pk", "sk", "__edb_e__", "__edb_v__", "updatedAt", "createdAt", "permissionsBroadened"],
  ...["name", "halted", "reason", "changedBy"],
  ...["version", "sequence", "templateSha256", "templateSize", "templateLocation", "keyId", "changelogSummary"],
  ...["approvalRequired", "approvedBy", "graceEndsAt", "state", "stateReason", "quarantinedAt", "graceHours"],
  ...["publishedBy", "from", "to", "fromSha256", "toSha256", "summary", "computedAt"],
];
const projection = {
  ProjectionExpression: PROJECTED.map((_, i) => `#p${i}`).join(", "),
  ExpressionAttributeNames: Object.fromEntries(PROJECTED.map((name, i) => [`#p${i}`, name])),
};
const BATCH_ATTEMPTS = 4;

/**
 * The facts in one BatchGetItem: the global control, the versions by primary key (a run and the
 * integration carry their sequences) and the changelog pairs — for one integration or a page of
 * them. The newest sequence comes from the process's hint and is checked in the same batch (see
 * `Version.newestHint`); without a hint, or with a stale one, one Query finds it. What cannot
 * change (an installed version's digest, a pair for known digests) comes from `knownFacts` when
 * this process read it before, so the batch carries only what a view must read fresh.
 */
export async function loadFacts(
  deps: Deps,
  subjects: Array<{ integration: IntegrationRecord; runs: RunRecord[] }>,
): Promise<StatusFacts> {
  const hint = Version.newestHint(deps) ?? (await Version.latest(deps))?.sequence ?? 0;
  const wanted = wantedKeys(deps, hint, subjects);
  const entities = deps.service.entities;
  const keys = [
    entities.control.get({ name: "global" }).params(),
    ...[...wanted.sequences].map((sequence) => entities.version.get({ sequence }).params()),
    ...[...wanted.pairs.values()].map((pair) => entities.changelogPair.get(pair).params()),
  ];
  const items = await batchGet(entities.control.client as BatchClient, keys);
  const facts = factsFrom(deps, items, wanted);
  const bySequence = new Map([...facts.versions.values()].map((v) => [v.sequence, v]));
  if (bySequence.has(hint + 1) || (hint > 0 && !bySequence.has(hint))) return withFreshNewest(deps, facts);
  facts.newest = bySequence.get(hint);
  facts.latestPublished = [...bySequence.values()]
    .filter((v) => v.sequence <= hint && v.state === "published")
    .sort((a, b) => b.sequence - a.sequence)[0];
  // Every version near the newest is halted or withdrawn: look further back, rarely.
  if (facts.newest && !facts.latestPublished) facts.latestPublished = await Version.latestPublished(deps);
  return facts;
}

/** What the batch must read, and what this process already knows of the rest. */
interface Wanted {
  sequences: Set<number>;
  pairs: Map<string, { from: string; to: string }>;
  /** Installed versions' digests, known from earlier reads (by semver). */
  installed: Map<string, VersionBytes>;
  /** Pairs known for the digests they were computed from (by `pairKey`). */
  knownPairs: Map<string, ChangelogPair>;
}

function wantedKeys(deps: Deps, hint: number, subjects: Array<{ integration: IntegrationRecord; runs: RunRecord[] }>) {
  const known = knownFacts(deps);
  const wanted: Wanted = {
    sequences: new Set([hint + 1]),
    pairs: new Map(),
    installed: new Map(),
    knownPairs: new Map(),
  };
  for (let s = Math.max(1, hint - BEHIND_NEWEST); s <= hint; s++) wanted.sequences.add(s);
  for (const { integration, runs } of subjects) {
    const from = integration.currentVersion;
    const installed = integration.currentSequence > 0 ? known.bytes(integration.currentSequence) : undefined;
    if (installed) wanted.installed.set(installed.version, installed);
    else if (integration.currentSequence > 0) wanted.sequences.add(integration.currentSequence);
    for (const run of runs.filter((r) => r.state === "scheduled")) {
      wanted.sequences.add(run.sequence);
      if (!from) continue;
      const to = known.bytes(run.sequence);
      const pair = installed?.version === from && to?.version === run.version ? known.pair(installed, to) : undefined;
      if (pair) wanted.knownPairs.set(pairKey(from, run.version), pair);
      else wanted.pairs.set(pairKey(from, run.version), { from, to: run.version });
    }
  }
  return wanted;
}

/** The hint was stale (a version published by another process): read the newest for real. */
async function withFreshNewest(deps: Deps, facts: StatusFacts): Promise<StatusFacts> {
  const newest = await Version.latest(deps);
  const latestPublished = newest?.state === "published" ? newest : await Version.latestPublished(deps);
  for (const v of [newest, latestPublished]) if (v) facts.versions.set(v.version, v);
  return { ...facts, newest, latestPublished };
}

function factsFrom(deps: Deps, items: Record<string, unknown>[], wanted: Wanted): StatusFacts {
  const entities = deps.service.entities;
  const known = knownFacts(deps);
  const facts: StatusFacts = {
    now: deps.now(),
    control: { halted: false },
    versions: new Map(),
    installed: wanted.installed,
    newest: undefined,
    latestPublished: undefined,
    pairs: new Map(wanted.knownPairs),
  };
  // Each item is parsed by its own entity only (ElectroDB's entity marker): parsing it with the
  // others' too cost a third of this function's time.
  for (const Item of items) {
    const kind = Item.__edb_e__;
    if (kind === "control") {
      const control = entities.control.parse({ Item }).data;
      if (control?.name === "global") facts.control = control;
    } else if (kind === "version") {
      const version = entities.version.parse({ Item }).data;
      if (version) facts.versions.set(version.version, version);
      if (version) known.rememberVersion(version);
    } else if (kind === "changelogPair") {
      const pair = entities.changelogPair.parse({ Item }).data as ChangelogPair | null;
      if (pair) facts.pairs.set(pairKey(pair.from, pair.to), pair);
      if (pair) known.rememberPair(pair);
    }
  }
  return facts;
}

type GetParams = { Key: Record<string, unknown>; TableName: string };
/** ElectroDB's wrapper around the service's document client (the same client, its v2-style call shape). */
type BatchClient = { batchGet(params: BatchGetCommandInput): { promise(): Promise<BatchGetCommandOutput> } };

/** BatchGetItem over `keys` (one request for up to 100), retrying what DynamoDB left unprocessed. */
async function batchGet(client: BatchClient, keys: GetParams[]): Promise<Record<string, unknown>[]> {
  const found: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += BATCH_LIMIT) {
    const chunk = keys.slice(i, i + BATCH_LIMIT);
    const table = chunk[0]!.TableName;
    let pending: Record<string, unknown>[] | undefined = chunk.map((k) => k.Key);
    for (let attempt = 1; pending?.length; attempt++) {
      if (attempt > BATCH_ATTEMPTS) throw new Error("status read was throttled; retry");
      const out = await client.batchGet({ RequestItems: { [table]: { Keys: pending, ...projection } } }).promise();
      found.push(...(out.Responses?.[table] ?? []));
      pending = out.UnprocessedKeys?.[table]?.Keys;
    }
  }
  return found;
}
