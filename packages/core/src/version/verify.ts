import { createHash, timingSafeEqual, verify } from "node:crypto";
import { forbidden, inputError } from "../error";
import { type PinnedKey, pinnedPublicKey } from "../signing/pinned";
import { MAX_MANIFEST_BYTES, MAX_TEMPLATE_BYTES, type Manifest, manifestSchema, serializeManifest } from "./manifest";
import semver from "./semver";

/**
 * Why a release was refused; the `code` of the thrown `StackfleetError`, so runs and events can
 * record the reason. Malformed input is kind `input`, anything that failed a trust check is
 * kind `forbidden`.
 */
export type VerificationFailure =
  | "manifest_oversize"
  | "template_oversize"
  | "signature_malformed"
  | "key_not_pinned"
  | "signature_invalid"
  | "manifest_invalid"
  | "key_mismatch"
  | "manifest_unexpected"
  | "template_mismatch"
  | "manifest_not_yet_valid"
  | "manifest_expired"
  | "rollback"
  | "upgrade_path"
  | "current_version_invalid";

/** A DER ECDSA P-256 signature is SEQUENCE { INTEGER r, INTEGER s }: at most 2 + 2 × (2 + 33). */
const MAX_SIGNATURE_BYTES = 72;
const MIN_SIGNATURE_BYTES = 8;

export type VerifyReleaseInput = {
  manifestBytes: Uint8Array;
  signature: Uint8Array;
  /**
   * The key id stored next to the signature (outside the signed bytes), so the pinned key is
   * found without reading unverified bytes. The signed manifest must name the same key.
   */
  keyId: string;
  templateBytes: Uint8Array;
  pinnedKeys: readonly PinnedKey[];
  now: Date;
  /**
   * The version the integration runs now (or, at publication, the latest published one). The
   * release must be strictly newer in both sequence and semver, and satisfy `minFromVersion`.
   * `null` when there is none to compare with.
   */
  current?: { version: string; sequence: number } | null;
  /** What the caller knows independently (its own config, the run's version row). */
  expect?: { product?: string; stackPrefix?: string; version?: string; sequence?: number };
  /**
   * "deploy" (the default, the executor): now must lie in [notBefore, expiresAt).
   * "publish": the manifest is signed ahead of its grace end, so only expiry is checked.
   */
  purpose?: "deploy" | "publish";
  /** Tighter limits than the hard ones; never looser. */
  limits?: { manifestBytes?: number; templateBytes?: number };
};

export type VerifiedRelease = {
  manifest: Manifest;
  /** The exact bytes whose hash the signature covers: send these as `TemplateBody`. */
  templateBytes: Uint8Array;
  keyId: string;
};

/**
 * The only way a manifest and template come to be trusted, used by publication and by the
 * executor. Order matters: sizes first (no hashing or crypto on oversize input), then the
 * signature over the exact manifest bytes, and only then is anything parsed. The template is
 * hashed, never parsed.
 */
export function verifyRelease(input: VerifyReleaseInput): VerifiedRelease {
  const { manifestBytes, signature, templateBytes } = input;
  const manifestLimit = Math.min(input.limits?.manifestBytes ?? MAX_MANIFEST_BYTES, MAX_MANIFEST_BYTES);
  const templateLimit = Math.min(input.limits?.templateBytes ?? MAX_TEMPLATE_BYTES, MAX_TEMPLATE_BYTES);
  if (manifestBytes.length > manifestLimit) {
    throw inputError("manifest_oversize", `Manifest is ${manifestBytes.length} bytes; the limit is ${manifestLimit}`);
  }
  if (templateBytes.length > templateLimit) {
    throw inputError("template_oversize", `Template is ${templateBytes.length} bytes; the limit is ${templateLimit}`);
  }
  if (signature.length < MIN_SIGNATURE_BYTES || signature.length > MAX_SIGNATURE_BYTES || signature[0] !== 0x30) {
    throw inputError("signature_malformed", "Signature is not a DER ECDSA P-256 signature");
  }

  const pinned = input.pinnedKeys.find((k) => k.keyId === input.keyId);
  if (!pinned) throw forbidden("key_not_pinned", `Key ${input.keyId} is not pinned in this configuration`);
  const valid = verify(
    "sha256",
    manifestBytes,
    { key: pinnedPublicKey(pinned.publicKeyPem), dsaEncoding: "der" },
    signature,
  );
  if (!valid) throw forbidden("signature_invalid", `Manifest signature does not verify with key ${input.keyId}`);

  const manifest = parseVerifiedManifest(manifestBytes);
  if (manifest.keyId !== input.keyId) {
    throw forbidden("key_mismatch", `Manifest names key ${manifest.keyId} but was verified with ${input.keyId}`);
  }
  checkExpectations(manifest, input.expect);
  checkTemplate(manifest, templateBytes);
  checkValidity(manifest, input.now, input.purpose ?? "deploy");
  if (input.current) checkUpgrade(manifest, input.current);
  return { manifest, templateBytes, keyId: input.keyId };
}

/** Only ever called on bytes whose signature verified. */
function parseVerifiedManifest(bytes: Uint8Array): Manifest {
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw inputError("manifest_invalid", "Manifest is not UTF-8 JSON");
  }
  const result = manifestSchema.safeParse(data);
  if (!result.success) throw inputError("manifest_invalid", `Manifest is invalid: ${result.error.issues[0]?.message}`);
  // A second spelling of the same manifest (whitespace, key order, escapes, duplicate keys)
  // would be a second signed object with the same meaning; allow exactly one.
  if (!Buffer.from(serializeManifest(result.data)).equals(bytes)) {
    throw inputError("manifest_invalid", "Manifest is not in canonical form");
  }
  return result.data;
}

function checkExpectations(manifest: Manifest, expect: VerifyReleaseInput["expect"]) {
  for (const field of ["product", "stackPrefix", "version", "sequence"] as const) {
    const wanted = expect?.[field];
    if (wanted !== undefined && manifest[field] !== wanted) {
      throw forbidden("manifest_unexpected", `Manifest ${field} is ${manifest[field]}, expected ${wanted}`);
    }
  }
}

function checkTemplate(manifest: Manifest, templateBytes: Uint8Array) {
  const actual = createHash("sha256").update(templateBytes).digest();
  const signed = Buffer.from(manifest.template.sha256, "hex");
  if (templateBytes.length !== manifest.template.size || !timingSafeEqual(actual, signed)) {
    throw forbidden("template_mismatch", "Template bytes do not match the manifest's sha256 and size");
  }
}

function checkValidity(manifest: Manifest, now: Date, purpose: "deploy" | "publish") {
  const at = now.getTime();
  if (purpose === "deploy" && at < Date.parse(manifest.notBefore)) {
    throw forbidden("manifest_not_yet_valid", `Manifest is not valid before ${manifest.notBefore}`);
  }
  if (at >= Date.parse(manifest.expiresAt))
    throw forbidden("manifest_expired", `Manifest expired at ${manifest.expiresAt}`);
}

function checkUpgrade(manifest: Manifest, current: { version: string; sequence: number }) {
  if (semver.valid(current.version) === null) {
    throw inputError("current_version_invalid", `Current version ${current.version} is not a semantic version`);
  }
  if (!(manifest.sequence > current.sequence) || !semver.gt(manifest.version, current.version)) {
    throw forbidden(
      "rollback",
      `Version ${manifest.version} (sequence ${manifest.sequence}) is not newer than ${current.version} (sequence ${current.sequence})`,
    );
  }
  if (manifest.minFromVersion !== null && semver.lt(current.version, manifest.minFromVersion)) {
    throw forbidden(
      "upgrade_path",
      `Version ${manifest.version} requires at least ${manifest.minFromVersion}; current is ${current.version}`,
    );
  }
}
