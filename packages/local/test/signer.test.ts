import { createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createLocalSigner, LocalKeySigner, loadOrCreateLocalKey } from "../src/dev/signer";

const encode = (text: string) => new TextEncoder().encode(text);

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stackfleet-key-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadOrCreateLocalKey", () => {
  it("creates a P-256 key file readable only by its owner on first start", async () => {
    const path = join(dir, "nested", "signing-key.pem");
    const key = await loadOrCreateLocalKey(path);
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, "utf8")).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it("loads the same key on later starts instead of creating a new one", async () => {
    const path = join(dir, "signing-key.pem");
    const first = await createLocalSigner(path);
    const second = await createLocalSigner(path);
    expect(second.keyId).toBe(first.keyId);
    expect(await second.publicKey()).toBe(await first.publicKey());
  });

  it("settles on one key when several processes start at once", async () => {
    const path = join(dir, "signing-key.pem");
    const signers = await Promise.all(Array.from({ length: 5 }, () => createLocalSigner(path)));
    expect(new Set(signers.map((s) => s.keyId)).size).toBe(1);
  });

  it("refuses a key file others can read", async () => {
    const path = join(dir, "signing-key.pem");
    await loadOrCreateLocalKey(path);
    await chmod(path, 0o644);
    await expect(loadOrCreateLocalKey(path)).rejects.toMatchObject({ code: "local_key_permissions" });
  });

  it("refuses a key file that is not a P-256 private key", async () => {
    const path = join(dir, "signing-key.pem");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    await writeFile(path, rsa.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
    await expect(loadOrCreateLocalKey(path)).rejects.toMatchObject({ code: "local_key_invalid" });
    await writeFile(path, "garbage", { mode: 0o600 });
    await expect(loadOrCreateLocalKey(path)).rejects.toMatchObject({ code: "local_key_invalid" });
  });
});

describe("LocalKeySigner", () => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const signer = new LocalKeySigner(privateKey);

  it("names its key after the SPKI fingerprint", async () => {
    expect(signer.keyId).toMatch(/^local:[0-9a-f]{16}$/);
    expect(new LocalKeySigner(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey).keyId).not.toBe(
      signer.keyId,
    );
  });

  it("signs the raw message as DER ECDSA SHA-256, verifiable with its SPKI public key", async () => {
    const message = encode("manifest bytes");
    const signature = await signer.sign(message);
    expect(signature[0]).toBe(0x30);
    const publicKey = createPublicKey(await signer.publicKey());
    expect(verify("sha256", message, { key: publicKey, dsaEncoding: "der" }, signature)).toBe(true);
    expect(verify("sha256", encode("other bytes"), { key: publicKey, dsaEncoding: "der" }, signature)).toBe(false);
  });

  it("refuses keys that are not P-256 private keys", () => {
    expect(() => new LocalKeySigner(generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey)).toThrow(/P-256/);
    expect(() => new LocalKeySigner(createPublicKey(privateKey))).toThrow(/P-256/);
  });
});
