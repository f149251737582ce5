import { gracePeriodFor } from "../changelog/index";
import type { Actor, Deps } from "../context";
import { conflict, inputError } from "../error";
import { parseTemplate } from "../template/parse";
import { DAY_MS, HOUR_MS } from "../time";
import { type InspectOptions, inspectTemplate } from "./inspect";
import type { Manifest } from "./manifest";
import { assertTemplateSize, type PublishContext, recordRelease, releaseBasis } from "./publish";
import { verifyRelease } from "./verify";
import type { VersionRecord } from "./version";
import { assertVersionMarker } from "./version-marker";

export interface SignedPublishInput {
  /** The exact template bytes the manifest's sha256 names. */
  templateBytes: Uint8Array;
  /** The exact canonical manifest bytes the release key signed. */
  manifestBytes: Uint8Array;
  /** DER ECDSA P-256 signature over `manifestBytes`. */
  signature: Uint8Array;
  keyId: string;
  allow?: InspectOptions;
}

/** A release is signed moments before upload: older means a replayed or forgotten manifest. */
export const MAX_SIGNED_AGE_MS = HOUR_MS;
/** Clock skew tolerated between the release tool and the API. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Publication of a release signed outside the API (`stackfleet versions release`). The API
 * holds no signing key; it verifies against the pinned release keys, then re-derives everything
 * the release tool claimed — the template behind the sha256, sequence, times, and the changelog
 * against the previous verified version — and refuses a manifest whose grace is shorter than the
 * policy demands for that changelog or whose signed broadening verdict is wrong. A broadening
 * release always waits for an approver's second signature before it is planned.
 */
export async function publishSigned(
  deps: Deps,
  ctx: PublishContext,
  input: SignedPublishInput,
  actor: Actor,
): Promise<VersionRecord> {
  assertTemplateSize(input.templateBytes);
  const now = deps.now();
  // Sizes, then the signature, then parsing: nothing unsigned is read.
  const { manifest } = verifyRelease({
    manifestBytes: input.manifestBytes,
    signature: input.signature,
    keyId: input.keyId,
    templateBytes: input.templateBytes,
    pinnedKeys: ctx.release.pinnedKeys,
    now,
    expect: { product: ctx.product, stackPrefix: ctx.stackPrefix },
    purpose: "publish",
  });
  checkTimes(manifest, now, ctx.manifestLifetimeDays);
  checkTemplate(manifest, input.templateBytes, input.allow);
  const template = parseTemplate(input.templateBytes);
  assertVersionMarker(template, manifest.version);

  const basis = await releaseBasis(deps, ctx, manifest.version, template);
  if (manifest.sequence !== basis.sequence) {
    throw conflict("sequence_not_next", `Manifest sequence is ${manifest.sequence}; the next is ${basis.sequence}`);
  }
  const broadening = basis.changelog.permissionsBroadened;
  if (manifest.broadening !== broadening) {
    throw inputError(
      "broadening_mismatch",
      `The manifest says broadening=${manifest.broadening}, but against ${basis.base?.version.version ?? "nothing"} ` +
        `this template ${broadening ? "broadens" : "does not broaden"} permissions`,
    );
  }
  const { graceHours } = gracePeriodFor(basis.changelog, ctx.grace);
  // Customers learn of the version now, so the grace runs from publication, not from a signed
  // issuedAt that may be up to MAX_SIGNED_AGE_MS old: a backdated issuedAt would otherwise
  // shave up to an hour off it. Only the clock skew is forgiven.
  const graceStart = Math.max(Date.parse(manifest.issuedAt), now.getTime() - MAX_CLOCK_SKEW_MS);
  const signedGraceMs = Date.parse(manifest.notBefore) - graceStart;
  if (signedGraceMs < graceHours * HOUR_MS) {
    throw inputError(
      "grace_too_short",
      `This ${broadening ? "broadening " : ""}change needs at least ${graceHours} h between its publication ` +
        `(or issuedAt, if later) and notBefore; the manifest gives ${(signedGraceMs / HOUR_MS).toFixed(2)} h — ` +
        "sign right before upload",
      { requiredHours: graceHours },
    );
  }
  const { location } = await ctx.release.store.put(input.templateBytes);
  return recordRelease(deps, ctx, basis, { ...input, manifest, location, approvalRequired: broadening }, actor);
}

function checkTimes(manifest: Manifest, now: Date, lifetimeDays: number) {
  const issuedAt = Date.parse(manifest.issuedAt);
  const notBefore = Date.parse(manifest.notBefore);
  if (issuedAt > now.getTime() + MAX_CLOCK_SKEW_MS)
    throw inputError("manifest_issued_in_future", `Manifest is issued at ${manifest.issuedAt}, after now`);
  if (issuedAt < now.getTime() - MAX_SIGNED_AGE_MS)
    throw inputError(
      "manifest_stale",
      `Manifest was issued at ${manifest.issuedAt}; sign releases right before upload`,
    );
  if (notBefore <= now.getTime())
    throw inputError("grace_too_short", `Manifest notBefore ${manifest.notBefore} is not in the future`);
  if (Date.parse(manifest.expiresAt) - notBefore > lifetimeDays * DAY_MS)
    throw inputError("manifest_lifetime", `Manifest stays valid more than ${lifetimeDays} days after its grace end`);
}

/** The signed capabilities and parameters must be what the template really needs and declares. */
function checkTemplate(manifest: Manifest, templateBytes: Uint8Array, allow?: InspectOptions) {
  const inspection = inspectTemplate(templateBytes, allow);
  if (inspection.capabilities.join() !== manifest.capabilities.join()) {
    throw inputError(
      "capabilities_mismatch",
      `The template needs [${inspection.capabilities.join(", ")}]; the manifest grants [${manifest.capabilities.join(", ")}]`,
    );
  }
  const unknown = manifest.parameters.find((name) => !inspection.parameters.includes(name));
  if (unknown) throw inputError("parameter_unknown", `The template declares no parameter ${unknown}`);
  // The executor trusts this list instead of parsing the template: a name left out would reach
  // CloudFormation without UsePreviousValue and silently reset the customer's value to the default.
  if (inspection.parameters.join() !== manifest.templateParameters.join()) {
    throw inputError(
      "template_parameters_mismatch",
      `The template declares [${inspection.parameters.join(", ")}]; the manifest lists [${manifest.templateParameters.join(", ")}]`,
    );
  }
}
