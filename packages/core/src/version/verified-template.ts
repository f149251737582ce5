import type { Deps } from "../context";
import { conflict, isStackfleetError } from "../error";
import type { PinnedKey } from "../signing/pinned";
import type { TemplateStore } from "../template-store/template-store";
import { quarantineVersion } from "./quarantine";
import { verifyRelease } from "./verify";
import type { VersionRecord } from "./version";

export interface TemplateSource {
  store: TemplateStore;
  pinnedKeys: readonly PinnedKey[];
}

/** Failures that mean the stored bytes or signature are not what was published: the version is bad. */
const INTEGRITY_FAILURES = new Set([
  "signature_malformed",
  "signature_invalid",
  "manifest_invalid",
  "key_mismatch",
  "manifest_unexpected",
  "template_mismatch",
  "template_oversize",
  "manifest_oversize",
]);

/**
 * A version's template bytes, but only after its signed manifest verified them — the one way
 * changelogs and downloads read templates, so nothing is ever computed from tampered bytes.
 * Checked as of publication: a manifest past its deploy window still vouches for its bytes.
 * A failed check quarantines the version (fleet-wide), then refuses.
 */
export async function verifiedTemplate(deps: Deps, source: TemplateSource, version: VersionRecord) {
  if (version.quarantinedAt) throw quarantined(version.version, version.stateReason);
  const templateBytes = await source.store.get(version.templateSha256);
  try {
    const verified = verifyRelease({
      manifestBytes: Buffer.from(version.manifest, "base64"),
      signature: Buffer.from(version.signature, "base64"),
      keyId: version.keyId,
      templateBytes,
      pinnedKeys: source.pinnedKeys,
      now: new Date(version.createdAt),
      purpose: "publish",
      expect: { version: version.version, sequence: version.sequence },
    });
    return { bytes: verified.templateBytes, manifest: verified.manifest };
  } catch (error) {
    if (!isStackfleetError(error) || !INTEGRITY_FAILURES.has(error.code)) throw error;
    await quarantineVersion(deps, version.version, `${error.code}: ${error.message}`);
    throw quarantined(version.version, error.message);
  }
}

const quarantined = (version: string, reason?: string) =>
  conflict("version_quarantined", `Version ${version} is quarantined: ${reason ?? "integrity check failed"}`);
