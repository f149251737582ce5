import semver from "semver";
import { type Changelog, computeChangelog, type GracePolicy, gracePeriodFor, headline } from "../changelog/index";
import type { Actor, Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { conflict, inputError, isStackfleetError } from "../error";
import { record } from "../event/event";
import type { PinnedKey } from "../signing/pinned";
import { parseTemplate, type Template } from "../template/parse";
import { DAY_MS, HOUR_MS } from "../time";
import { assertBoundaryKept } from "./boundary-guard";
import { pairChangelog, precomputePairs, storePair } from "./customer-changelog";
import { type InspectOptions, inspectTemplate } from "./inspect";
import { MAX_TEMPLATE_BYTES, type Manifest } from "./manifest";
import { prepareRelease, type ReleaseDeps, type SignedManifest } from "./release";
import { verifiedTemplate } from "./verified-template";
import { assertSemver, latest, rememberNewest, type VersionRecord } from "./version";
import { assertVersionMarker } from "./version-marker";

export interface PublishContext {
  /** Template store and release pins; a signer only where publishing may sign (locally, never in AWS). */
  release: ReleaseDeps;
  /** Keys whose second signature approves a broadening version; never a release key. */
  approverKeys?: readonly PinnedKey[];
  product: string;
  stackPrefix: string;
  grace: GracePolicy;
  /** How long a signed manifest stays deployable after its grace end. */
  manifestLifetimeDays: number;
}

export interface PublishInput {
  templateBytes: Uint8Array;
  version: string;
  minFromVersion?: string | null;
  parameters?: string[];
  allow?: InspectOptions;
}

const EMPTY: Template = { Resources: {} };

/**
 * One-step publication, where a signer is wired (`npm start`, tests): checks the template,
 * signs its manifest, stores its exact bytes, and records it with its changelog against the
 * previous version. In AWS the API holds no signer: releases arrive signed (`publishSigned`).
 */
export async function publish(
  deps: Deps,
  ctx: PublishContext,
  input: PublishInput,
  actor: Actor,
): Promise<VersionRecord> {
  if (!ctx.release.signer) {
    throw inputError(
      "signing_not_available",
      "This API does not sign: sign the release with `stackfleet versions release` and upload manifest + signature",
    );
  }
  const version = assertSemver(input.version);
  assertTemplateSize(input.templateBytes);
  const template = parseTemplate(input.templateBytes);
  // The template's own faults first (transforms, nested stacks, size), as `publishSigned` checks
  // them before comparing: they say more than its difference from the previous version.
  inspectTemplate(input.templateBytes, input.allow);
  const basis = await releaseBasis(deps, ctx, version, template);
  if (input.minFromVersion && !semver.valid(input.minFromVersion))
    throw inputError("version_invalid", `minFromVersion "${input.minFromVersion}" is not semver`);
  assertVersionMarker(template, version);
  const { graceHours, approvalRequired } = gracePeriodFor(basis.changelog, ctx.grace);
  const now = deps.now();
  const graceEndsAt = new Date(now.getTime() + graceHours * HOUR_MS);
  const prepared = await prepareRelease(
    {
      templateBytes: input.templateBytes,
      product: ctx.product,
      stackPrefix: ctx.stackPrefix,
      version,
      sequence: basis.sequence,
      minFromVersion: input.minFromVersion ?? null,
      parameters: input.parameters,
      broadening: basis.changelog.permissionsBroadened,
      notBefore: graceEndsAt,
      expiresAt: new Date(graceEndsAt.getTime() + ctx.manifestLifetimeDays * DAY_MS),
      now,
      latest: basis.previous ? { version: basis.previous.version, sequence: basis.previous.sequence } : null,
      allow: input.allow,
    },
    ctx.release,
  );
  return recordRelease(deps, ctx, basis, { ...prepared, approvalRequired }, actor);
}

export function assertTemplateSize(templateBytes: Uint8Array): void {
  if (templateBytes.length > MAX_TEMPLATE_BYTES) {
    throw inputError(
      "template_oversize",
      `Template is ${templateBytes.length} bytes; the limit is ${MAX_TEMPLATE_BYTES}`,
    );
  }
}

/** What a new version is recorded against: the latest publication and the newest version whose bytes verify. */
export type ReleaseBasis = {
  previous: VersionRecord | undefined;
  /** Every earlier version, newest first. */
  earlier: VersionRecord[];
  base: { version: VersionRecord; template: Template } | undefined;
  changelog: Changelog;
  /** The sequence the new version takes. */
  sequence: number;
};

export async function releaseBasis(
  deps: Deps,
  ctx: Pick<PublishContext, "release">,
  version: string,
  template: Template,
): Promise<ReleaseBasis> {
  const previous = await latest(deps);
  if (previous && !semver.gt(version, previous.version)) {
    throw conflict("version_not_newer", `Version ${version} must be newer than the latest, ${previous.version}`);
  }
  // The base is the newest version whose bytes still verify: never a tampered template.
  const earlier = await listAll(deps);
  const base = await verifiedBase(deps, ctx.release, earlier);
  const changelog = computeChangelog(base?.template ?? EMPTY, template, { from: base?.version.version, to: version });
  assertBoundaryKept(changelog);
  return { previous, earlier, base, changelog, sequence: (previous?.sequence ?? 0) + 1 };
}

export type VerifiedRelease = SignedManifest & {
  manifest: Manifest;
  /** Where the template's exact bytes were stored. */
  location: string;
  approvalRequired: boolean;
};

/**
 * The storing tail every publication shares: records the version and its audit event in one
 * transaction (all or nothing), then caches changelog pairs. The grace end is the signed one.
 */
export async function recordRelease(
  deps: Deps,
  ctx: PublishContext,
  basis: ReleaseBasis,
  release: VerifiedRelease,
  actor: Actor,
): Promise<VersionRecord> {
  const { manifest, approvalRequired } = release;
  const { changelog, sequence } = basis;
  const now = deps.now();
  const summary = headline(changelog);
  const item = {
    version: manifest.version,
    sequence,
    templateSha256: manifest.template.sha256,
    templateSize: manifest.template.size,
    templateLocation: release.location,
    manifest: Buffer.from(release.manifestBytes).toString("base64"),
    signature: Buffer.from(release.signature).toString("base64"),
    keyId: release.keyId,
    changelog,
    changelogSummary: summary,
    permissionsBroadened: changelog.permissionsBroadened,
    approvalRequired,
    graceEndsAt: manifest.notBefore,
    graceHours: { default: ctx.grace.defaultHours, broadening: ctx.grace.broadeningHours },
    state: "published" as const,
    publishedBy: actor,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  const audit = record(deps, {
    actor,
    action: "version.published",
    version: manifest.version,
    data: {
      sequence,
      summary,
      permissionsBroadened: changelog.permissionsBroadened,
      graceEndsAt: item.graceEndsAt,
      approvalRequired,
      keyId: release.keyId,
    },
  });
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ version: versions, event }) => [versions.create(item).commit(), event.create(audit).commit()])
        .go(),
    [
      // Two publishers raced for the same sequence: the loser retries against the new latest.
      { code: "publish_conflict", message: `Another version took sequence ${sequence}; publish again` },
      { code: "event_exists", message: "Audit event id collision" },
    ],
  );
  rememberNewest(deps, sequence);
  if (basis.base) await storePair(deps, basis.base.version, item, changelog);
  await precomputePairs(deps, ctx.release, item as VersionRecord, basis.earlier);
  return item;
}

/** The changelog between any two versions (customers may be several behind), from verified bytes only. */
export async function changelogBetween(
  deps: Deps,
  ctx: Pick<PublishContext, "release">,
  from: VersionRecord,
  to: VersionRecord,
): Promise<Changelog> {
  if (from.version === to.version || semver.gt(from.version, to.version)) {
    const [before, after] = await Promise.all([
      verifiedTemplate(deps, ctx.release, from),
      verifiedTemplate(deps, ctx.release, to),
    ]);
    return computeChangelog(parseTemplate(before.bytes), parseTemplate(after.bytes), {
      from: from.version,
      to: to.version,
    });
  }
  return (await pairChangelog(deps, ctx.release, from, to)).changelog as Changelog;
}

async function listAll(deps: Deps): Promise<VersionRecord[]> {
  const { data } = await deps.service.entities.version.query.bySequence({}).go({ order: "desc", pages: "all" });
  return data;
}

async function verifiedBase(deps: Deps, source: ReleaseDeps, newestFirst: VersionRecord[]) {
  for (const version of newestFirst) {
    if (version.quarantinedAt) continue;
    try {
      return { version, template: parseTemplate((await verifiedTemplate(deps, source, version)).bytes) };
    } catch (error) {
      // Quarantined (conflict) or bytes missing from the store (not_found): not a base to diff against.
      if (!isStackfleetError(error, "conflict") && !isStackfleetError(error, "not_found")) throw error;
    }
  }
  return undefined;
}
