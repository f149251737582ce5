import type { KeyObject } from "node:crypto";
import { inputError } from "../error";
import * as z from "../zod-mini";
import { p256PublicKey, type Signer } from "./signer";

/**
 * A public key the verifier trusts. Pinned keys come from the verifier's own configuration
 * (the executor's environment), never from the table: whoever can write the table must not be
 * able to add a key. Rotation = new key + a new pinned list (asymmetric KMS keys don't rotate).
 */
export type PinnedKey = { keyId: string; publicKeyPem: string };

/**
 * Pinned keys parsed once per process: the PEM is configuration, the same few keys every run, and
 * parsing one costs about as much as the verification itself. Keyed by the exact PEM text, so a
 * changed pin is parsed (and checked to be P-256) afresh; bounded in case pins churn.
 */
const parsedPins = new Map<string, KeyObject>();
export function pinnedPublicKey(pem: string): KeyObject {
  let key = parsedPins.get(pem);
  if (!key) {
    if (parsedPins.size >= 32) parsedPins.clear();
    key = p256PublicKey(pem);
    parsedPins.set(pem, key);
  }
  return key;
}

export const KEY_ID = z
  .string()
  .check(z.minLength(1), z.maxLength(2048), z.regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces"));

const pinnedKeySchema = z.strictObject({
  keyId: KEY_ID,
  publicKeyPem: z.string().check(
    z.maxLength(4096),
    z.refine((pem) => {
      try {
        p256PublicKey(pem);
        return true;
      } catch {
        return false;
      }
    }, "must be an SPKI PEM of an ECC NIST P-256 public key"),
  ),
});

const pinnedKeysSchema = z.array(pinnedKeySchema).check(
  z.minLength(1, "at least one key must be pinned"),
  z.maxLength(16),
  z.refine((keys) => new Set(keys.map((k) => k.keyId)).size === keys.length, "key ids must be unique"),
);

export const PINNED_KEYS_ENV = "STACKFLEET_PINNED_KEYS";

/** Parses a JSON array of `{ keyId, publicKeyPem }`; throws `pinned_keys_invalid` otherwise. */
export function parsePinnedKeys(json: string): PinnedKey[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw inputError("pinned_keys_invalid", `Pinned keys are not JSON: ${(e as Error).message}`);
  }
  const result = pinnedKeysSchema.safeParse(data);
  if (!result.success) {
    throw inputError("pinned_keys_invalid", `Pinned keys are invalid: ${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** The pin for a signer's key, e.g. for the local runtime to trust the key file it just created. */
export const pinnedKeyOf = async (signer: Signer): Promise<PinnedKey> => ({
  keyId: signer.keyId,
  publicKeyPem: await signer.publicKey(),
});
