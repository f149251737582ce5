import { generateKeyPairSync, sign } from "node:crypto";
import { LocalKeySigner } from "@stackfleet/local/dev/signer";
import { describe, expect, it } from "vitest";
import { isStackfleetError } from "../src/error";
import type { Signer } from "../src/signing/signer";
import { buildManifest, MAX_MANIFEST_BYTES, MAX_TEMPLATE_BYTES } from "../src/version/manifest";
import { verifyRelease } from "../src/version/verify";
import {
  codeOf,
  encode,
  genuineRelease,
  hoursFromNow,
  NOW,
  newLocalSigner,
  templateFor,
  verifyInput,
} from "./support/release";

const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const signer = new LocalKeySigner(privateKey);

describe("verifyRelease", () => {
  it("accepts a genuine release and returns the parsed manifest with the exact template bytes", async () => {
    const release = await genuineRelease(signer);
    const verified = verifyRelease(verifyInput(release));
    expect(verified.manifest.version).toBe("2.0.0");
    expect(verified.manifest.keyId).toBe(signer.keyId);
    expect(verified.templateBytes).toBe(release.templateBytes);
    expect(verified.keyId).toBe(signer.keyId);
  });

  it("rejects a key that is not pinned, even with a valid signature", async () => {
    const release = await genuineRelease(signer);
    const otherPins = (await genuineRelease(newLocalSigner())).pinnedKeys;
    expect(codeOf(() => verifyRelease(verifyInput(release, { pinnedKeys: otherPins })))).toBe("key_not_pinned");
  });

  it("rejects a signature made by another key under a pinned key id", async () => {
    const release = await genuineRelease(signer);
    const forger = newLocalSigner();
    const forged = await forger.sign(release.manifestBytes);
    expect(codeOf(() => verifyRelease(verifyInput(release, { signature: forged })))).toBe("signature_invalid");
  });

  it("rejects a manifest whose own key id differs from the key that verified it", async () => {
    // Signed by the pinned key, but the manifest claims to come from another key.
    const impostor: Signer = {
      keyId: "local:0000000000000000",
      sign: (m) => signer.sign(m),
      publicKey: () => signer.publicKey(),
    };
    const release = await genuineRelease(impostor);
    const pinned = { keyId: signer.keyId, publicKeyPem: await signer.publicKey() };
    const input = verifyInput(release, { keyId: signer.keyId, pinnedKeys: [pinned] });
    expect(codeOf(() => verifyRelease(input))).toBe("key_mismatch");
  });

  it("rejects an expired manifest, from the instant of expiry on", async () => {
    const release = await genuineRelease(signer, { expiresAt: NOW });
    expect(codeOf(() => verifyRelease(verifyInput(release)))).toBe("manifest_expired");
    expect(codeOf(() => verifyRelease(verifyInput(release, { purpose: "publish" })))).toBe("manifest_expired");
    expect(verifyRelease(verifyInput(release, { now: new Date(NOW.getTime() - 1) })).manifest.version).toBe("2.0.0");
  });

  it("rejects a manifest before its not-before (the grace end) when deploying", async () => {
    const release = await genuineRelease(signer, { notBefore: hoursFromNow(1) });
    expect(codeOf(() => verifyRelease(verifyInput(release)))).toBe("manifest_not_yet_valid");
    expect(verifyRelease(verifyInput(release, { now: hoursFromNow(1) })).manifest.version).toBe("2.0.0");
  });

  it("accepts a not-yet-valid manifest at publication, which signs ahead of the grace end", async () => {
    const release = await genuineRelease(signer, { notBefore: hoursFromNow(24) });
    expect(verifyRelease(verifyInput(release, { purpose: "publish" })).manifest.notBefore).toBe(
      hoursFromNow(24).toISOString(),
    );
  });

  it("rejects a sequence lower than or equal to the current one", async () => {
    const release = await genuineRelease(signer, { sequence: 5 });
    expect(codeOf(() => verifyRelease(verifyInput(release, { current: { version: "1.0.0", sequence: 5 } })))).toBe(
      "rollback",
    );
    expect(codeOf(() => verifyRelease(verifyInput(release, { current: { version: "1.0.0", sequence: 6 } })))).toBe(
      "rollback",
    );
    expect(verifyRelease(verifyInput(release, { current: { version: "1.0.0", sequence: 4 } })).manifest.sequence).toBe(
      5,
    );
  });

  it("rejects a semver lower than or equal to the current one, compared as semver", async () => {
    const release = await genuineRelease(signer, { version: "2.0.0", minFromVersion: null });
    expect(codeOf(() => verifyRelease(verifyInput(release, { current: { version: "2.0.0", sequence: 1 } })))).toBe(
      "rollback",
    );
    expect(codeOf(() => verifyRelease(verifyInput(release, { current: { version: "10.0.0", sequence: 1 } })))).toBe(
      "rollback",
    );
    expect(verifyRelease(verifyInput(release, { current: { version: "1.10.0", sequence: 1 } })).manifest.version).toBe(
      "2.0.0",
    );
  });

  it("rejects an upgrade from below the manifest's minimum from-version", async () => {
    const release = await genuineRelease(signer, { minFromVersion: "1.5.0" });
    expect(codeOf(() => verifyRelease(verifyInput(release, { current: { version: "1.4.9", sequence: 1 } })))).toBe(
      "upgrade_path",
    );
    expect(verifyRelease(verifyInput(release, { current: { version: "1.5.0", sequence: 1 } })).manifest.version).toBe(
      "2.0.0",
    );
  });

  it("skips the upgrade checks only when there is no current version", async () => {
    const release = await genuineRelease(signer, { minFromVersion: "1.5.0" });
    expect(verifyRelease(verifyInput(release, { current: null })).manifest.version).toBe("2.0.0");
  });

  it("rejects a manifest paired with another version's template", async () => {
    const v2 = await genuineRelease(signer, { version: "2.0.0" });
    const v3 = await genuineRelease(signer, { version: "3.0.0", sequence: 3 });
    expect(codeOf(() => verifyRelease(verifyInput(v3, { templateBytes: v2.templateBytes })))).toBe("template_mismatch");
  });

  it("rejects a template whose size differs even by a trailing byte", async () => {
    const release = await genuineRelease(signer);
    const longer = new Uint8Array([...release.templateBytes, 0x0a]);
    expect(codeOf(() => verifyRelease(verifyInput(release, { templateBytes: longer })))).toBe("template_mismatch");
  });

  it("rejects what the caller knows to be a different product, prefix, version or sequence", async () => {
    const release = await genuineRelease(signer);
    for (const expectation of [{ product: "other" }, { stackPrefix: "Other" }, { version: "2.0.1" }, { sequence: 3 }]) {
      expect(codeOf(() => verifyRelease(verifyInput(release, { expect: expectation })))).toBe("manifest_unexpected");
    }
    const matching = { product: "acme-audit", stackPrefix: "AcmeAudit", version: "2.0.0", sequence: 2 };
    expect(verifyRelease(verifyInput(release, { expect: matching })).manifest.product).toBe("acme-audit");
  });

  it("rejects an oversize manifest even when it is genuinely signed", async () => {
    const release = await genuineRelease(signer);
    const big = encode(`${" ".repeat(MAX_MANIFEST_BYTES)}{}`);
    const signature = new Uint8Array(sign("sha256", big, { key: privateKey, dsaEncoding: "der" }));
    expect(codeOf(() => verifyRelease(verifyInput(release, { manifestBytes: big, signature })))).toBe(
      "manifest_oversize",
    );
  });

  it("rejects an oversize template before looking at the key or signature", async () => {
    const release = await genuineRelease(signer);
    const huge = new Uint8Array(MAX_TEMPLATE_BYTES + 1);
    expect(codeOf(() => verifyRelease(verifyInput(release, { templateBytes: huge, keyId: "unpinned" })))).toBe(
      "template_oversize",
    );
  });

  it("applies tighter limits but never looser ones", async () => {
    const release = await genuineRelease(signer);
    const tight = { templateBytes: release.templateBytes.length - 1 };
    expect(codeOf(() => verifyRelease(verifyInput(release, { limits: tight })))).toBe("template_oversize");
    const loose = { templateBytes: MAX_TEMPLATE_BYTES * 10 };
    const huge = new Uint8Array(MAX_TEMPLATE_BYTES + 1);
    expect(codeOf(() => verifyRelease(verifyInput(release, { templateBytes: huge, limits: loose })))).toBe(
      "template_oversize",
    );
  });

  it("rejects a signature that is not DER-shaped without trying it", async () => {
    const release = await genuineRelease(signer);
    for (const signature of [
      new Uint8Array(0),
      new Uint8Array(73).fill(0x30),
      new Uint8Array([0x31, ...release.signature.slice(1)]),
    ]) {
      expect(codeOf(() => verifyRelease(verifyInput(release, { signature })))).toBe("signature_malformed");
    }
  });

  it("rejects a validly signed manifest that is not in canonical form", async () => {
    const release = await genuineRelease(signer);
    const pretty = encode(JSON.stringify(JSON.parse(new TextDecoder().decode(release.manifestBytes)), null, 2));
    const signature = await signer.sign(pretty);
    expect(codeOf(() => verifyRelease(verifyInput(release, { manifestBytes: pretty, signature })))).toBe(
      "manifest_invalid",
    );
  });

  it("rejects validly signed bytes that are not a manifest", async () => {
    const release = await genuineRelease(signer);
    for (const text of ["not json", '{"format":"stackfleet.manifest/1"}', "[]"]) {
      const bytes = encode(text);
      const signature = await signer.sign(bytes);
      expect(codeOf(() => verifyRelease(verifyInput(release, { manifestBytes: bytes, signature })))).toBe(
        "manifest_invalid",
      );
    }
  });

  it("reports every failure as a StackfleetError carrying its reason", async () => {
    const release = await genuineRelease(signer);
    try {
      verifyRelease(verifyInput(release, { templateBytes: templateFor("9.9.9") }));
      expect.unreachable();
    } catch (e) {
      expect(isStackfleetError(e, "forbidden")).toBe(true);
    }
  });
});

describe("buildManifest feeds verification", () => {
  it("refuses to build what verification would refuse to trust", () => {
    expect(() =>
      buildManifest({
        product: "acme-audit",
        stackPrefix: "AcmeAudit",
        version: "2.0.0",
        sequence: 2,
        template: { sha256: "0".repeat(64), size: 10 },
        capabilities: [],
        parameters: ["ExternalId"],
        templateParameters: ["ExternalId"],
        minFromVersion: null,
        broadening: false,
        issuedAt: NOW,
        notBefore: NOW,
        expiresAt: hoursFromNow(1),
        keyId: signer.keyId,
      }),
    ).toThrow(/previous value/);
  });
});
