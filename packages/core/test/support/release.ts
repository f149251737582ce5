import { generateKeyPairSync } from "node:crypto";
import { LocalKeySigner } from "@stackfleet/local/dev/signer";
import { type PinnedKey, pinnedKeyOf } from "../../src/signing/pinned";
import type { Signer } from "../../src/signing/signer";
import { sha256Hex } from "../../src/template-store/template-store";
import { buildManifest, type ManifestInput } from "../../src/version/manifest";
import { signManifest } from "../../src/version/release";
import type { VerifyReleaseInput } from "../../src/version/verify";

export const NOW = new Date("2026-11-21T12:00:00.000Z");
const HOUR = 3_600_000;
export const hoursFromNow = (hours: number) => new Date(NOW.getTime() + hours * HOUR);

export const encode = (text: string) => new TextEncoder().encode(text);

export const templateFor = (version: string) =>
  encode(`AWSTemplateFormatVersion: "2010-09-09"
Description: Example integration ${version}
Parameters:
  ExternalId:
    Type: String
  EnableAutoUpdate:
    Type: String
    Default: "true"
  AuditLevel:
    Type: String
    Default: basic
Resources:
  IntegrationRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub "arn:aws:iam::\${AWS::AccountId}:root" }
            Action: sts:AssumeRole
            Condition: { StringEquals: { "sts:ExternalId": !Ref ExternalId } }
`);

export const newLocalSigner = () => new LocalKeySigner(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);

export type Release = {
  manifestBytes: Uint8Array;
  signature: Uint8Array;
  keyId: string;
  templateBytes: Uint8Array;
  pinnedKeys: PinnedKey[];
};

/** A genuine release of `version` (sequence 2 unless overridden), valid from 1 h ago for 30 days. */
export async function genuineRelease(
  signer: Signer,
  overrides: Partial<ManifestInput> = {},
  templateBytes = templateFor(overrides.version ?? "2.0.0"),
): Promise<Release> {
  const manifest = buildManifest({
    product: "acme-audit",
    stackPrefix: "AcmeAudit",
    version: "2.0.0",
    sequence: 2,
    template: { sha256: sha256Hex(templateBytes), size: templateBytes.length },
    capabilities: ["CAPABILITY_IAM"],
    parameters: ["AuditLevel"],
    templateParameters: ["AuditLevel", "EnableAutoUpdate", "ExternalId"],
    minFromVersion: "1.0.0",
    broadening: false,
    issuedAt: hoursFromNow(-2),
    notBefore: hoursFromNow(-1),
    expiresAt: hoursFromNow(24 * 30),
    keyId: signer.keyId,
    ...overrides,
  });
  const signed = await signManifest(signer, manifest);
  return { ...signed, templateBytes, pinnedKeys: [await pinnedKeyOf(signer)] };
}

export const verifyInput = (release: Release, extra: Partial<VerifyReleaseInput> = {}): VerifyReleaseInput => ({
  manifestBytes: release.manifestBytes,
  signature: release.signature,
  keyId: release.keyId,
  templateBytes: release.templateBytes,
  pinnedKeys: release.pinnedKeys,
  now: NOW,
  current: { version: "1.0.0", sequence: 1 },
  ...extra,
});

/** Runs `fn` and returns the StackfleetError code it threw (fails the test if it didn't throw one). */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof Error && "code" in e && e.name === "StackfleetError") return String(e.code);
    throw e;
  }
  throw new Error("expected a StackfleetError, nothing was thrown");
}
