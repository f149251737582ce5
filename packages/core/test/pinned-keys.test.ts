import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parsePinnedKeys } from "../src/signing/pinned";

const p256Pem = () =>
  generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();

describe("pinned keys from configuration", () => {
  it("reads a JSON array of key ids and SPKI PEMs from STACKFLEET_PINNED_KEYS", () => {
    const keys = [
      { keyId: "arn:aws:kms:us-east-1:111122223333:key/abc", publicKeyPem: p256Pem() },
      { keyId: "local:0123456789abcdef", publicKeyPem: p256Pem() },
    ];
    expect(parsePinnedKeys(JSON.stringify(keys))).toEqual(keys);
  });

  // A missing STACKFLEET_PINNED_KEYS is fromEnv's to report (config.test.ts).
  it("treats an empty list as a configuration error", () => {
    expect(() => parsePinnedKeys("[]")).toThrow(expect.objectContaining({ code: "pinned_keys_invalid" }));
    expect(() => parsePinnedKeys("[]")).toThrow(/at least one/);
  });

  it("rejects keys that are not P-256 SPKI public keys", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" })
      .publicKey.export({ type: "spki", format: "pem" })
      .toString();
    for (const publicKeyPem of [rsa, p384, "not a key"]) {
      expect(() => parsePinnedKeys(JSON.stringify([{ keyId: "k", publicKeyPem }]))).toThrow(/P-256/);
    }
  });

  it("rejects duplicate ids, unknown fields and non-JSON", () => {
    const pem = p256Pem();
    expect(() =>
      parsePinnedKeys(
        JSON.stringify([
          { keyId: "k", publicKeyPem: pem },
          { keyId: "k", publicKeyPem: pem },
        ]),
      ),
    ).toThrow(/unique/);
    expect(() => parsePinnedKeys(JSON.stringify([{ keyId: "k", publicKeyPem: pem, trusted: true }]))).toThrow(
      /pinned_keys|invalid/i,
    );
    expect(() => parsePinnedKeys("{")).toThrow(/not JSON/);
  });
});
