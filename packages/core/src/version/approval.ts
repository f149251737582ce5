import { verify } from "node:crypto";
import { inputError } from "../error";
import { KEY_ID, type PinnedKey, parsePinnedKeys, pinnedPublicKey } from "../signing/pinned";
import { p256PublicKey, spkiFingerprint } from "../signing/signer";
import * as z from "../zod-mini";

/**
 * An approver's second signature over the SAME canonical manifest bytes the release key signed.
 * The approver key is held by other people (the security team) than the release key, so a
 * broadening version needs two parties; the API only checks and stores it, the executor checks
 * it again against its own pins.
 */
export type Approval = {
  keyId: string;
  /** DER ECDSA P-256 signature over the manifest bytes: base64 (as stored and posted) or raw. */
  signature: string | Uint8Array;
};

export const APPROVER_KEYS_ENV = "STACKFLEET_PINNED_APPROVER_KEYS";

/** What `POST /v1/versions/{v}/approve` and the version item carry. */
export const approvalSchema = z.strictObject({
  keyId: KEY_ID,
  signature: z.base64().check(z.minLength(12), z.maxLength(100)),
});

export type VerifyApprovalInput = {
  /** The exact signed manifest bytes of the version being approved. */
  manifestBytes: Uint8Array;
  approval: Approval;
  pinnedApproverKeys: readonly PinnedKey[];
};

const MIN_SIGNATURE_BYTES = 8;
const MAX_SIGNATURE_BYTES = 72;

/**
 * Throws `approval_invalid` unless `approval` is a valid signature over `manifestBytes` by a
 * pinned approver key that is not the key the manifest itself names (the release key). The
 * signature is checked before a byte of the manifest is parsed.
 */
export function verifyApproval(input: VerifyApprovalInput): { keyId: string } {
  const { approval, manifestBytes } = input;
  const signature = typeof approval.signature === "string" ? strictBase64(approval.signature) : approval.signature;
  if (signature.length < MIN_SIGNATURE_BYTES || signature.length > MAX_SIGNATURE_BYTES || signature[0] !== 0x30) {
    throw refused("the signature is not a DER ECDSA P-256 signature");
  }
  const pinned = input.pinnedApproverKeys.find((k) => k.keyId === approval.keyId);
  if (!pinned) throw refused(`key ${approval.keyId} is not a pinned approver key`);
  const key = pinnedPublicKey(pinned.publicKeyPem);
  if (!verify("sha256", manifestBytes, { key, dsaEncoding: "der" }, signature)) {
    throw refused(`the signature does not verify with approver key ${approval.keyId} over this manifest`);
  }
  if (manifestKeyId(manifestBytes) === approval.keyId) {
    throw refused("the approver key is the key that signed the release; approval needs a second party");
  }
  return { keyId: approval.keyId };
}

const refused = (why: string) => inputError("approval_invalid", `Approval refused: ${why}`);

/**
 * Buffer's base64 decoder skips whitespace and stray characters, so "AB CD" and "ABCD" would be
 * two stored spellings of one approval; only the canonical (padded, standard alphabet) one counts.
 */
function strictBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.toString("base64") !== text) throw refused("the signature is not canonical base64");
  return bytes;
}

function manifestKeyId(bytes: Uint8Array): string | undefined {
  try {
    const parsed: unknown = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
    const keyId = (parsed as { keyId?: unknown } | null)?.keyId;
    return typeof keyId === "string" ? keyId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses the approver pins and refuses a configuration where one key (by id or by public key)
 * is pinned both to sign releases and to approve them: one party could then do both.
 */
export function parseApproverKeys(json: string, releaseKeys: readonly PinnedKey[]): PinnedKey[] {
  const approvers = parsePinnedKeys(json);
  const releaseIds = new Set(releaseKeys.map((k) => k.keyId));
  const releasePrints = new Set(releaseKeys.map((k) => spkiFingerprint(p256PublicKey(k.publicKeyPem))));
  for (const key of approvers) {
    if (releaseIds.has(key.keyId) || releasePrints.has(spkiFingerprint(p256PublicKey(key.publicKeyPem)))) {
      throw inputError(
        "pinned_keys_invalid",
        `Key ${key.keyId} is pinned both as a release key and as an approver key; they must be different keys`,
      );
    }
  }
  return approvers;
}
