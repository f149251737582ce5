import { type Changelog, computeChangelog, type GracePolicy, gracePeriodFor } from "../changelog/index";
import { inputError } from "../error";
import type { Signer } from "../signing/signer";
import { parseTemplate, type Template } from "../template/parse";
import { DAY_MS, HOUR_MS } from "../time";
import { type InspectOptions, inspectTemplate } from "./inspect";
import { buildManifest, type Manifest, PROTECTED_PARAMETERS } from "./manifest";
import { type SignedManifest, signManifest } from "./release";
import { assertVersionMarker } from "./version-marker";

/** The changelog base: the newest version whose bytes verify (the API serves only verified bytes). */
export type ReleaseBase = { version: string; templateBytes: Uint8Array };

export type SignReleaseInput = {
  templateBytes: Uint8Array;
  version: string;
  product: string;
  stackPrefix: string;
  /** The latest publication, whose sequence this release follows. */
  latest: { version: string; sequence: number } | null;
  base: ReleaseBase | null;
  minFromVersion?: string | null;
  parameters?: readonly string[];
  /** Hours from issue to grace end; by default what the policy demands for the changelog. */
  graceHours?: number;
  policy: GracePolicy;
  lifetimeDays: number;
  now: Date;
  allow?: InspectOptions;
};

export type SignedRelease = SignedManifest & { manifest: Manifest; changelog: Changelog; graceHours: number };

const EMPTY: Template = { Resources: {} };

/**
 * The release tool's half of publication, run where the release key is (a release engineer's
 * machine, the release pipeline): computes the changelog against the previous verified version,
 * builds the canonical manifest with the broadening verdict and the grace it demands, and signs
 * it. The API re-derives all of it and refuses a manifest that disagrees.
 */
export async function signRelease(input: SignReleaseInput, signer: Signer): Promise<SignedRelease> {
  const inspection = inspectTemplate(input.templateBytes, input.allow);
  const template = parseTemplate(input.templateBytes);
  assertVersionMarker(template, input.version);
  const parameters = input.parameters ?? [];
  for (const name of parameters) {
    if (PROTECTED_PARAMETERS.includes(name))
      throw inputError("parameter_protected", `${name} always keeps its previous value; a version cannot set it`);
    if (!inspection.parameters.includes(name))
      throw inputError("parameter_unknown", `The template declares no parameter ${name}`);
  }
  const before = input.base ? parseTemplate(input.base.templateBytes) : EMPTY;
  const changelog = computeChangelog(before, template, { from: input.base?.version, to: input.version });
  const required = gracePeriodFor(changelog, input.policy).graceHours;
  const graceHours = input.graceHours ?? required;
  if (graceHours < required) {
    throw inputError("grace_too_short", `This change needs at least ${required} h of grace; ${graceHours} h given`);
  }
  const notBefore = new Date(input.now.getTime() + graceHours * HOUR_MS);
  const manifest = buildManifest({
    product: input.product,
    stackPrefix: input.stackPrefix,
    version: input.version,
    sequence: (input.latest?.sequence ?? 0) + 1,
    template: { sha256: inspection.sha256, size: inspection.size },
    capabilities: inspection.capabilities,
    parameters,
    templateParameters: inspection.parameters,
    minFromVersion: input.minFromVersion ?? null,
    broadening: changelog.permissionsBroadened,
    notBefore,
    expiresAt: new Date(notBefore.getTime() + input.lifetimeDays * DAY_MS),
    issuedAt: input.now,
    keyId: signer.keyId,
  });
  return { ...(await signManifest(signer, manifest)), manifest, changelog, graceHours };
}
