import semver from "semver";
import { type Changelog, computeChangelog, type GracePolicy, gracePeriodFor, headline } from "../changelog/index";
import type { Actor, Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { conflict, inputError, isStackfleetError } from "../error";
import { record } from "../event/event";
import { parseTemplate, type Template } from "../template/parse";
import { DAY_MS, HOUR_MS } from "../time";
import { pairChangelog, precomputePairs, storePair } from "./customer-changelog";
import type { InspectOptions } from "./inspect";
import { MAX_TEMPLATE_BYTES } from "./manifest";
import { prepareRelease, type ReleaseDeps } from "./release";
import { verifiedTemplate } from "./verified-template";
import { assertSemver, latest, type VersionRecord } from "./version";
import { assertVersionMarker } from "./version-marker";

export interface PublishContext {
  release: ReleaseDeps;
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
 * Publishes a template version: checks it, signs its manifest, stores its exact bytes, and
 * records it with its changelog against the previous version — all or nothing for the record.
 * A version broadening permissions waits longer, and may wait for an operator's approval.
 */
export async function publish(
  deps: Deps,
  ctx: PublishContext,
  input: PublishInput,
  actor: Actor,
): Promise<VersionRecord> {
  const version = assertSemver(input.version);
  if (input.templateBytes.length > MAX_TEMPLATE_BYTES) {
    throw inputError(
      "template_oversize",
      `Template is ${input.templateBytes.length} bytes; the limit is ${MAX_TEMPLATE_BYTES}`,
    );
  }
  const template = parseTemplate(input.templateBytes);
  const previous = await latest(deps);
  if (previous && !semver.gt(version, previous.version)) {
    throw conflict("version_not_newer", `Version ${version} must be newer than the latest, ${previous.version}`);
  }
  if (input.minFromVersion && !semver.valid(input.minFromVersion))
    throw inputError("version_invalid", `minFromVersion "${input.minFromVersion}" is not semver`);

  assertVersionMarker(template, version);

  // The base is the newest version whose bytes still verify: never a tampered template.
  const earlier = await listAll(deps);
  const base = await verifiedBase(deps, ctx.release, earlier);
  const changelog = computeChangelog(base?.template ?? EMPTY, template, { from: base?.version.version, to: version });
  const { graceHours, approvalRequired } = gracePeriodFor(changelog, ctx.grace);
  const now = deps.now();
  const graceEndsAt = new Date(now.getTime() + graceHours * HOUR_MS);
  const sequence = (previous?.sequence ?? 0) + 1;

  const prepared = await prepareRelease(
    {
      templateBytes: input.templateBytes,
      product: ctx.product,
      stackPrefix: ctx.stackPrefix,
      version,
      sequence,
      minFromVersion: input.minFromVersion ?? null,
      parameters: input.parameters,
      broadening: changelog.permissionsBroadened,
      notBefore: graceEndsAt,
      expiresAt: new Date(graceEndsAt.getTime() + ctx.manifestLifetimeDays * DAY_MS),
      now,
      latest: previous ? { version: previous.version, sequence: previous.sequence } : null,
      allow: input.allow,
    },
    ctx.release,
  );

  const summary = headline(changelog);
  const item = {
    version,
    sequence,
    templateSha256: prepared.inspection.sha256,
    templateSize: prepared.inspection.size,
    templateLocation: prepared.location,
    manifest: Buffer.from(prepared.manifestBytes).toString("base64"),
    signature: Buffer.from(prepared.signature).toString("base64"),
    keyId: prepared.keyId,
    changelog,
    changelogSummary: summary,
    permissionsBroadened: changelog.permissionsBroadened,
    approvalRequired,
    graceEndsAt: graceEndsAt.toISOString(),
    graceHours: { default: ctx.grace.defaultHours, broadening: ctx.grace.broadeningHours },
    state: "published" as const,
    publishedBy: actor,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  const audit = record(deps, {
    actor,
    action: "version.published",
    version,
    data: {
      sequence,
      summary,
      permissionsBroadened: changelog.permissionsBroadened,
      graceEndsAt: item.graceEndsAt,
      approvalRequired,
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
  if (base) await storePair(deps, base.version, item, changelog);
  await precomputePairs(deps, ctx.release, item as VersionRecord, earlier);
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
