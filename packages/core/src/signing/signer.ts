import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { inputError } from "../error";

/**
 * Anything that can sign a manifest: AWS KMS in AWS, a local P-256 key file locally. Both
 * produce DER-encoded ECDSA P-256 / SHA-256 signatures over the raw message, so one verifier
 * (`verifyRelease`) accepts either.
 */
export interface Signer {
  /** The id the verifier looks up among its pinned keys; also written into the manifest. */
  readonly keyId: string;
  /** DER ECDSA signature over SHA-256 of `message` (the exact bytes, not a digest). */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** SPKI public key as PEM, the form operators pin in configuration. */
  publicKey(): Promise<string>;
}

/** P-256 under its OpenSSL name, as `asymmetricKeyDetails.namedCurve` reports it. */
const P256 = "prime256v1";

export function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === P256;
}

/** Parses an SPKI public key (PEM, or DER bytes as KMS returns them) and insists on P-256. */
export function p256PublicKey(spki: string | Uint8Array): KeyObject {
  let key: KeyObject;
  try {
    key =
      typeof spki === "string"
        ? createPublicKey({ key: spki, format: "pem" })
        : createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch (e) {
    throw inputError("public_key_invalid", `Not an SPKI public key: ${(e as Error).message}`);
  }
  if (key.type !== "public" || !isP256(key)) {
    throw inputError("public_key_invalid", "Public key must be an ECC NIST P-256 key");
  }
  return key;
}

export const spkiPem = (key: KeyObject): string => key.export({ type: "spki", format: "pem" }).toString();

/** A stable, short fingerprint of a public key: the first 16 hex digits of SHA-256(SPKI DER). */
export const spkiFingerprint = (key: KeyObject): string =>
  createHash("sha256")
    .update(key.export({ type: "spki", format: "der" }))
    .digest("hex")
    .slice(0, 16);
