import { inputError } from "../error";
import type { PinnedKey } from "../signing/pinned";
import type { Signer } from "../signing/signer";
import type { TemplateStore } from "../template-store/template-store";
import { type InspectOptions, inspectTemplate, type TemplateInspection } from "./inspect";
import { buildManifest, type Manifest, PROTECTED_PARAMETERS, serializeManifest } from "./manifest";
import { verifyRelease } from "./verify";

export type SignedManifest = {
  /** The exact signed bytes (canonical JSON). Store and ship these, never a re-serialisation. */
  manifestBytes: Uint8Array;
  /** DER ECDSA P-256 signature over `manifestBytes`. */
  signature: Uint8Array;
  keyId: string;
};

export async function signManifest(signer: Signer, manifest: Manifest): Promise<SignedManifest> {
  if (manifest.keyId !== signer.keyId) {
    throw inputError("key_mismatch", `Manifest names key ${manifest.keyId} but the signer is ${signer.keyId}`);
  }
  const manifestBytes = serializeManifest(manifest);
  return { manifestBytes, signature: await signer.sign(manifestBytes), keyId: signer.keyId };
}

export type PrepareReleaseInput = {
  templateBytes: Uint8Array;
  product: string;
  stackPrefix: string;
  version: string;
  /** The next publication sequence (the version table's latest + 1). */
  sequence: number;
  minFromVersion: string | null;
  /** Parameters this version may set; every other keeps its previous value on update. */
  parameters?: readonly string[];
  /** Whether the changelog against the previous verified version broadens permissions. */
  broadening: boolean;
  /** Grace end: no executor acts on the version earlier. */
  notBefore: Date;
  expiresAt: Date;
  now: Date;
  /** The latest published version, which this one must supersede. */
  latest: { version: string; sequence: number } | null;
  allow?: InspectOptions;
};

export type PreparedRelease = SignedManifest & {
  manifest: Manifest;
  inspection: TemplateInspection;
  /** Where the template's exact bytes were stored. */
  location: string;
};

export type ReleaseDeps = { signer?: Signer; store: TemplateStore; pinnedKeys: readonly PinnedKey[] };

/**
 * Publication without the database: inspect the template, build and sign its manifest, verify
 * the result with the same function the executor uses (so a key the executor doesn't pin fails
 * now, not at deploy time), then store the exact bytes. The caller records the version.
 */
export async function prepareRelease(input: PrepareReleaseInput, deps: ReleaseDeps): Promise<PreparedRelease> {
  const { signer } = deps;
  if (!signer) throw inputError("signing_not_available", "No signer is wired here; releases arrive signed");
  const inspection = inspectTemplate(input.templateBytes, input.allow);
  const parameters = input.parameters ?? [];
  for (const name of parameters) {
    if (PROTECTED_PARAMETERS.includes(name)) {
      throw inputError("parameter_protected", `${name} always keeps its previous value; a version cannot set it`);
    }
    if (!inspection.parameters.includes(name)) {
      throw inputError("parameter_unknown", `The template declares no parameter ${name}`);
    }
  }
  const manifest = buildManifest({
    product: input.product,
    stackPrefix: input.stackPrefix,
    version: input.version,
    sequence: input.sequence,
    template: { sha256: inspection.sha256, size: inspection.size },
    capabilities: inspection.capabilities,
    parameters,
    templateParameters: inspection.parameters,
    minFromVersion: input.minFromVersion,
    broadening: input.broadening,
    notBefore: input.notBefore,
    expiresAt: input.expiresAt,
    issuedAt: input.now,
    keyId: signer.keyId,
  });
  const signed = await signManifest(signer, manifest);
  verifyRelease({
    ...signed,
    templateBytes: input.templateBytes,
    pinnedKeys: deps.pinnedKeys,
    now: input.now,
    current: input.latest,
    purpose: "publish",
  });
  const { location } = await deps.store.put(input.templateBytes);
  return { ...signed, manifest, inspection, location };
}
