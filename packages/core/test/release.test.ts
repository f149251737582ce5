import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetPublicKeyCommand, KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createLocalSigner } from "@stackfleet/local/dev/signer";
import { LocalTemplateStore } from "@stackfleet/local/dev/template-store";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KmsSigner } from "../src/signing/kms";
import { pinnedKeyOf } from "../src/signing/pinned";
import { S3TemplateStore } from "../src/template-store/s3";
import { sha256Hex } from "../src/template-store/template-store";
import { type PrepareReleaseInput, prepareRelease } from "../src/version/release";
import { verifyRelease } from "../src/version/verify";
import { encode, hoursFromNow, NOW, newLocalSigner, templateFor } from "./support/release";

const publishInput = (overrides: Partial<PrepareReleaseInput> = {}): PrepareReleaseInput => ({
  templateBytes: templateFor("2.0.0"),
  product: "acme-audit",
  stackPrefix: "AcmeAudit",
  version: "2.0.0",
  sequence: 2,
  minFromVersion: "1.0.0",
  parameters: ["AuditLevel"],
  broadening: false,
  notBefore: hoursFromNow(24),
  expiresAt: hoursFromNow(24 * 30),
  now: NOW,
  latest: { version: "1.0.0", sequence: 1 },
  ...overrides,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stackfleet-release-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("prepareRelease locally", () => {
  it("signs with the key file, stores the exact bytes, and the executor's verification accepts it at grace end", async () => {
    const signer = await createLocalSigner(join(dir, "signing-key.pem"));
    const store = new LocalTemplateStore(join(dir, "templates"));
    const pinnedKeys = [await pinnedKeyOf(signer)];
    const release = await prepareRelease(publishInput(), { signer, store, pinnedKeys });

    expect(release.manifest).toMatchObject({
      version: "2.0.0",
      sequence: 2,
      capabilities: ["CAPABILITY_IAM"],
      parameters: ["AuditLevel"],
    });
    expect(release.keyId).toBe(signer.keyId);
    const templateBytes = await store.get(release.manifest.template.sha256);
    const verified = verifyRelease({
      ...release,
      templateBytes,
      pinnedKeys,
      now: hoursFromNow(24),
      current: { version: "1.0.0", sequence: 1 },
    });
    expect(verified.templateBytes).toEqual(templateFor("2.0.0"));
  });

  it("refuses to publish with a key the verifier does not pin, and stores nothing", async () => {
    const store = new LocalTemplateStore(join(dir, "templates"));
    const other = newLocalSigner();
    const pinnedKeys = [await pinnedKeyOf(newLocalSigner())];
    await expect(prepareRelease(publishInput(), { signer: other, store, pinnedKeys })).rejects.toMatchObject({
      code: "key_not_pinned",
    });
    await expect(store.get(sha256Hex(publishInput().templateBytes))).rejects.toMatchObject({
      code: "template_not_found",
    });
  });

  it("refuses versions that do not supersede the latest one", async () => {
    const signer = newLocalSigner();
    const deps = { signer, store: new LocalTemplateStore(dir), pinnedKeys: [await pinnedKeyOf(signer)] };
    await expect(
      prepareRelease(publishInput({ latest: { version: "2.0.0", sequence: 1 } }), deps),
    ).rejects.toMatchObject({ code: "rollback" });
    await expect(
      prepareRelease(publishInput({ latest: { version: "1.0.0", sequence: 2 } }), deps),
    ).rejects.toMatchObject({ code: "rollback" });
  });

  it("refuses parameters the template doesn't declare or that must keep their value", async () => {
    const signer = newLocalSigner();
    const deps = { signer, store: new LocalTemplateStore(dir), pinnedKeys: [await pinnedKeyOf(signer)] };
    await expect(prepareRelease(publishInput({ parameters: ["Nope"] }), deps)).rejects.toMatchObject({
      code: "parameter_unknown",
    });
    await expect(prepareRelease(publishInput({ parameters: ["EnableAutoUpdate"] }), deps)).rejects.toMatchObject({
      code: "parameter_protected",
    });
  });

  it("refuses templates that would pull unsigned content", async () => {
    const signer = newLocalSigner();
    const deps = { signer, store: new LocalTemplateStore(dir), pinnedKeys: [await pinnedKeyOf(signer)] };
    const nested = encode(
      "Resources:\n  C:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: https://x/y\n",
    );
    await expect(prepareRelease(publishInput({ templateBytes: nested, parameters: [] }), deps)).rejects.toMatchObject({
      code: "template_nested_stack",
    });
  });
});

describe("prepareRelease in AWS", () => {
  const kms = mockClient(KMSClient);
  const s3 = mockClient(S3Client);
  afterEach(() => {
    kms.reset();
    s3.reset();
  });

  it("signs through KMS, stores in S3, and verifies with the same function", async () => {
    const keyArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    kms.on(SignCommand).callsFake((input: { Message: Uint8Array }) => ({
      KeyId: keyArn,
      Signature: new Uint8Array(sign("sha256", input.Message, { key: privateKey, dsaEncoding: "der" })),
    }));
    kms.on(GetPublicKeyCommand).resolves({
      KeySpec: "ECC_NIST_P256",
      KeyUsage: "SIGN_VERIFY",
      SigningAlgorithms: ["ECDSA_SHA_256"],
      PublicKey: new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
    });
    s3.on(PutObjectCommand).resolves({});
    const signer = new KmsSigner({ client: new KMSClient({ region: "us-east-1" }), keyId: keyArn });
    const store = new S3TemplateStore({
      client: new S3Client({ region: "us-east-1" }),
      bucket: "b",
      prefix: "templates",
    });

    const release = await prepareRelease(publishInput(), { signer, store, pinnedKeys: [await pinnedKeyOf(signer)] });

    expect(release.keyId).toBe(keyArn);
    expect(release.location).toBe(`s3://b/templates/${release.manifest.template.sha256}`);
    expect(kms.commandCalls(SignCommand)[0]!.args[0].input.Message).toEqual(release.manifestBytes);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body).toEqual(templateFor("2.0.0"));
  });
});
