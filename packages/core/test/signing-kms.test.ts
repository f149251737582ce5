import { createPublicKey, generateKeyPairSync, sign } from "node:crypto";
import { GetPublicKeyCommand, KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KmsSigner } from "../src/signing/kms";
import { pinnedKeyOf } from "../src/signing/pinned";
import { verifyRelease } from "../src/version/verify";
import { encode, genuineRelease, newLocalSigner, verifyInput } from "./support/release";

const KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
// The mock signs with a real P-256 key, so its signatures verify like KMS's would.
const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const kms = mockClient(KMSClient);

const kmsPublicKey = {
  KeyId: KEY_ARN,
  KeySpec: "ECC_NIST_P256" as const,
  KeyUsage: "SIGN_VERIFY" as const,
  SigningAlgorithms: ["ECDSA_SHA_256" as const],
  PublicKey: new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
};

beforeEach(() => {
  kms.reset();
  kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
    KeyId: KEY_ARN,
    SigningAlgorithm: "ECDSA_SHA_256",
    Signature: new Uint8Array(sign("sha256", input.Message, { key: privateKey, dsaEncoding: "der" })),
  }));
  kms.on(GetPublicKeyCommand).resolves(kmsPublicKey);
});
afterEach(() => kms.reset());

const newSigner = () => new KmsSigner({ client: new KMSClient({ region: "us-east-1" }), keyId: KEY_ARN });

describe("KmsSigner", () => {
  it("signs the raw message with ECDSA_SHA_256 through KMS Sign", async () => {
    const message = encode('{"a":1}');
    const signature = await newSigner().sign(message);
    expect(signature[0]).toBe(0x30);
    const calls = kms.commandCalls(SignCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      KeyId: KEY_ARN,
      Message: message,
      MessageType: "RAW",
      SigningAlgorithm: "ECDSA_SHA_256",
    });
  });

  it("refuses to send KMS a RAW message over 4,096 bytes", async () => {
    await expect(newSigner().sign(new Uint8Array(4097))).rejects.toMatchObject({ code: "manifest_oversize" });
    expect(kms.commandCalls(SignCommand)).toHaveLength(0);
  });

  it("fails loudly when KMS returns no signature", async () => {
    kms.on(SignCommand).resolves({ KeyId: KEY_ARN });
    await expect(newSigner().sign(encode("x"))).rejects.toMatchObject({ code: "kms_no_signature" });
  });

  it("turns GetPublicKey's DER SPKI into PEM, fetched once", async () => {
    const signer = newSigner();
    const pem = await signer.publicKey();
    expect(pem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    expect(createPublicKey(pem).equals(publicKey)).toBe(true);
    await signer.publicKey();
    expect(kms.commandCalls(GetPublicKeyCommand)).toHaveLength(1);
    expect(kms.commandCalls(GetPublicKeyCommand)[0]!.args[0].input).toEqual({ KeyId: KEY_ARN });
  });

  it("refuses a KMS key that is not an ECC_NIST_P256 signing key", async () => {
    kms.on(GetPublicKeyCommand).resolves({ ...kmsPublicKey, KeySpec: "RSA_2048" });
    await expect(newSigner().publicKey()).rejects.toMatchObject({ code: "kms_key_unsuitable" });
    kms.on(GetPublicKeyCommand).resolves({ ...kmsPublicKey, KeyUsage: "ENCRYPT_DECRYPT" });
    await expect(newSigner().publicKey()).rejects.toMatchObject({ code: "kms_key_unsuitable" });
  });
});

describe("one verifier for both signers", () => {
  it("accepts a KMS-signed release and a locally signed one against the same pinned list", async () => {
    const kmsSigner = newSigner();
    const localSigner = newLocalSigner();
    const pinnedKeys = [await pinnedKeyOf(kmsSigner), await pinnedKeyOf(localSigner)];
    const fromKms = await genuineRelease(kmsSigner);
    const fromLocal = await genuineRelease(localSigner);
    expect(verifyRelease(verifyInput(fromKms, { pinnedKeys })).keyId).toBe(KEY_ARN);
    expect(verifyRelease(verifyInput(fromLocal, { pinnedKeys })).keyId).toBe(localSigner.keyId);
    expect(kms.commandCalls(SignCommand)).toHaveLength(1);
  });

  it("rejects a KMS-signed release presented under the local key's id", async () => {
    const kmsSigner = newSigner();
    const localSigner = newLocalSigner();
    const pinnedKeys = [await pinnedKeyOf(kmsSigner), await pinnedKeyOf(localSigner)];
    const fromKms = await genuineRelease(kmsSigner);
    expect(() => verifyRelease(verifyInput(fromKms, { pinnedKeys, keyId: localSigner.keyId }))).toThrow(
      expect.objectContaining({ code: "signature_invalid" }),
    );
  });
});
