import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign } from "node:crypto";
import { link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { forbidden, inputError } from "@stackfleet/core/error";
import { isP256, type Signer, spkiFingerprint, spkiPem } from "@stackfleet/core/signing/signer";

/**
 * Loads the local signing key (PKCS#8 PEM), creating it on first start. The file is the local
 * stand-in for a KMS key, so it is created 0600 (the directory 0700) and refused when anyone but
 * the owner can read it — the same rule ssh applies to private keys. Keep it git-ignored
 * (`.stackfleet/` is).
 */
export async function loadOrCreateLocalKey(path: string): Promise<KeyObject> {
  try {
    return await readLocalKey(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  // Write aside, then hard-link into place: link never overwrites, so two processes starting
  // together cannot clobber each other's key or read a half-written file.
  const temp = join(dirname(path), `.key-${randomUUID()}.tmp`);
  await writeFile(temp, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
  try {
    await link(temp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    return await readLocalKey(path);
  } finally {
    await unlink(temp);
  }
  return privateKey;
}

/** Reads an existing P-256 key file (PKCS#8 PEM, 0600): a release or approver key held on disk. */
export async function readLocalKey(path: string): Promise<KeyObject> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    throw forbidden("local_key_permissions", `Signing key ${path} is readable by others; chmod 600 it`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(await readFile(path));
  } catch (e) {
    throw inputError("local_key_invalid", `Signing key ${path} is not a PEM private key: ${(e as Error).message}`);
  }
  if (!isP256(key)) throw inputError("local_key_invalid", `Signing key ${path} is not a P-256 key`);
  return key;
}

/** Signs with a P-256 private key held in memory; the local counterpart of `KmsSigner`. */
export class LocalKeySigner implements Signer {
  readonly keyId: string;
  private readonly publicKeyObject: KeyObject;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.type !== "private" || !isP256(privateKey)) {
      throw inputError("local_key_invalid", "LocalKeySigner needs a P-256 private key");
    }
    this.publicKeyObject = createPublicKey(privateKey);
    this.keyId = `local:${spkiFingerprint(this.publicKeyObject)}`;
  }

  async sign(message: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(sign("sha256", message, { key: this.privateKey, dsaEncoding: "der" }));
  }

  async publicKey(): Promise<string> {
    return spkiPem(this.publicKeyObject);
  }
}

/** A signer over an existing key file; never creates one (a release key is made in a ceremony, not on demand). */
export const readLocalSigner = async (path: string): Promise<LocalKeySigner> =>
  new LocalKeySigner(await readLocalKey(path));

export const createLocalSigner = async (path: string): Promise<LocalKeySigner> =>
  new LocalKeySigner(await loadOrCreateLocalKey(path));
