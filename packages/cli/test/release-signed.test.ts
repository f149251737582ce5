import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import { createDevVerifier, loadOrCreateDevAuthKey } from "@stackfleet/local/dev/auth-key";
import { LocalKeySigner } from "@stackfleet/local/dev/signer";
import { mockClient } from "aws-sdk-client-mock";
import { describe, expect, it } from "vitest";
import {
  connectedIntegration,
  createTestApi,
  createTestPublishing,
  testTemplate,
} from "../../functions/test/support/api";
import { cli, listen, tempDir, templateFile } from "./support/cli";

const newKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;

function keyFile(dir: string, name: string, key: KeyObject, mode = 0o600) {
  const file = join(dir, name);
  writeFileSync(file, key.export({ type: "pkcs8", format: "pem" }), { mode });
  return file;
}

/** The release key's pin: under its KMS ARN when it stands in for a KMS key, else its local id. */
async function releasePin(key: KeyObject, kmsKeyArn?: string) {
  const pin = await pinnedKeyOf(new LocalKeySigner(key));
  return kmsKeyArn ? { ...pin, keyId: kmsKeyArn } : pin;
}

/** An API wired as in AWS (no signer), pinning a release key and an approver key held in files. */
async function signingSetup(kmsKeyArn?: string) {
  const dataDir = tempDir();
  const [releaseKey, approverKey] = [newKey(), newKey()];
  const publishing = await createTestPublishing();
  const { signer: _, ...release } = publishing.release;
  const api = await createTestApi({
    auth: createDevVerifier(await loadOrCreateDevAuthKey(dataDir)),
    publishing: {
      ...publishing,
      release: { ...release, pinnedKeys: [await releasePin(releaseKey, kmsKeyArn)] },
      approverKeys: [await pinnedKeyOf(new LocalKeySigner(approverKey))],
    },
  });
  const url = await listen(api.app.fetch);
  const stateFile = join(dataDir, "local.json");
  writeFileSync(stateFile, JSON.stringify({ apiUrl: url }));
  return {
    api,
    local: ["--state-file", stateFile, "--data-dir", dataDir],
    releaseFile: keyFile(dataDir, "release.pem", releaseKey),
    approverFile: keyFile(dataDir, "approver.pem", approverKey),
    releaseKey,
    releaseKeyId: new LocalKeySigner(releaseKey).keyId,
  };
}

const first = ["--product", "acme", "--stack-prefix", "Acme"];

/** `stackfleet versions release FILE --version VERSION [flags]` against the test API. */
const release = (env: { local: string[] }, file: string, version: string, ...flags: string[]) =>
  cli(["versions", "release", file, "--version", version, ...flags, ...env.local]);

describe("stackfleet versions release / approve with keys held by people, not the API", () => {
  it("signs a release with a key file, round-trips it through the API, and approval by the approver key plans it", async () => {
    const env = await signingSetup();
    const v1 = templateFile(testTemplate("1.0.0"));
    const released = await release(env, v1, "1.0.0", "--key-file", env.releaseFile, ...first);
    expect(released.stderr).toBe("");
    expect(released.code).toBe(0);
    expect(released.stdout).toContain(`Signed with ${env.releaseKeyId}`);
    expect(released.stdout).toMatch(/awaits approval/);
    const shown = await cli(["versions", "show", "1.0.0", "--json", ...env.local]);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      manifest: { broadening: true, keyId: env.releaseKeyId, version: "1.0.0" },
      approvalRequired: true,
    });

    // The release key cannot approve its own release; no key at all is a usage error.
    const self = await cli(["versions", "approve", "1.0.0", "--key-file", env.releaseFile, ...env.local]);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain("approval_invalid");
    expect((await cli(["versions", "approve", "1.0.0", ...env.local])).code).toBe(2);
    expect((await cli(["versions", "approve", "1.0.0", "--key-file", env.approverFile, ...env.local])).code).toBe(0);

    // Two customers on 1.0.0; 2.0.0 broadens (iam:*), so it waits for the approver, then plans both.
    for (const account of ["333333333333", "444444444444"]) {
      await connectedIntegration(env.api.deps, "ten_a", account, { currentVersion: "1.0.0" });
    }
    env.api.store.clock.advance(60_000);
    const v2 = templateFile(testTemplate("2.0.0", [{ Effect: "Allow", Action: ["iam:*"], Resource: "*" }]));
    const broadening = await release(env, v2, "2.0.0", "--key-file", env.releaseFile, "--json");
    expect(broadening.code).toBe(0);
    expect(JSON.parse(broadening.stdout)).toMatchObject({ approvalRequired: true, plan: null });
    const approved = await cli([
      "versions",
      "approve",
      "2.0.0",
      "--key-file",
      env.approverFile,
      "--json",
      ...env.local,
    ]);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ version: "2.0.0", plan: { planned: 2 } });
  });

  it("refuses what the API would refuse before signing, and says what to do", async () => {
    const env = await signingSetup();
    const v1 = templateFile(testTemplate("1.0.0"));
    // Too little grace for a broadening change: the tool refuses to sign it at all.
    const short = await release(env, v1, "1.0.0", "--key-file", env.releaseFile, "--grace", "0", ...first);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain("grace_too_short");
    // Without a key, this API (like the Lambda) does not sign.
    const unsigned = await release(env, v1, "1.0.0");
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain("signing_not_available");
    // A key file others can read is refused, as ssh refuses one.
    const loose = keyFile(tempDir(), "loose.pem", newKey(), 0o644);
    const refused = await release(env, v1, "1.0.0", "--key-file", loose, ...first);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/chmod 600/);
    expect((await env.api.deps.service.entities.version.scan.go()).data).toEqual([]);
  });

  it("signs through KMS with --kms-key: the key ARN is the key id the API's pin names", async () => {
    const arn = "arn:aws:kms:eu-west-1:111111111111:key/0b1e6b9e-release";
    const env = await signingSetup(arn);
    const kms = mockClient(KMSClient);
    kms.on(SignCommand).callsFake((input: { KeyId: string; Message: Uint8Array }) => {
      expect(input.KeyId).toBe(arn);
      return { Signature: sign("sha256", input.Message, { key: env.releaseKey, dsaEncoding: "der" }) };
    });
    try {
      const v1 = templateFile(testTemplate("1.0.0"));
      const out = await release(env, v1, "1.0.0", "--kms-key", arn, "--json", ...first);
      expect(out.stderr).toBe("");
      expect(JSON.parse(out.stdout)).toMatchObject({
        manifest: { keyId: arn, broadening: true },
        signed: { keyId: arn },
      });
      expect(kms.commandCalls(SignCommand)).toHaveLength(1);
    } finally {
      kms.restore();
    }
  });
});
