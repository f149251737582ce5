/**
 * Attacks on the signed-release path at the verifier (issue 11, "assume breach"): alternative
 * encodings of a genuine signature, and manifests the genuine release key signed in a second
 * spelling. Each test fails if the attack gets through. The API-level attacks (replay, confusion,
 * "nothing written") are in packages/functions/test/release-attacks.test.ts.
 */
import { describe, expect, it } from "vitest";
import { type Approval, verifyApproval } from "../src/version/approval";
import { verifyRelease } from "../src/version/verify";
import { codeOf, encode, genuineRelease, newLocalSigner, type Release, verifyInput } from "./support/release";

const releaseKey = newLocalSigner();
const approverKey = newLocalSigner();
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

// P-256's group order: s and n − s both verify (ECDSA's inherent malleability).
const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");

/** Splits a DER ECDSA signature into r and s (short-form lengths only, as P-256 always is). */
function derParts(der: Uint8Array): { r: bigint; s: bigint } {
  const bytes = Buffer.from(der);
  const rLen = bytes[3]!;
  const r = bytes.subarray(4, 4 + rLen);
  const s = bytes.subarray(6 + rLen, 6 + rLen + bytes[5 + rLen]!);
  return { r: BigInt(`0x${r.toString("hex")}`), s: BigInt(`0x${s.toString("hex")}`) };
}

const unsigned = (n: bigint, width = 0) => {
  const hex = n.toString(16).padStart(width * 2, "0");
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex");
};
/** Minimal DER INTEGER content: a leading 0x00 only when the top bit is set. */
const derInt = (n: bigint) => {
  const raw = unsigned(n);
  return raw[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), raw]) : raw;
};
function der(r: Buffer, s: Buffer): Uint8Array {
  const body = Buffer.concat([Buffer.from([0x02, r.length]), r, Buffer.from([0x02, s.length]), s]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, body.length]), body]));
}

const verifies = (release: Release, signature: Uint8Array) => {
  try {
    verifyRelease(verifyInput(release, { signature }));
    return "verified";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
};

describe("alternative encodings of a genuine release signature", () => {
  it("the genuine DER signature verifies (the baseline the attacks below mutate)", async () => {
    const release = await genuineRelease(releaseKey);
    expect(verifies(release, release.signature)).toBe("verified");
  });

  it("the raw r‖s (IEEE P1363) form of the same signature is refused", async () => {
    const release = await genuineRelease(releaseKey);
    const { r, s } = derParts(release.signature);
    const p1363 = new Uint8Array(Buffer.concat([unsigned(r, 32), unsigned(s, 32)]));
    expect(verifies(release, p1363)).not.toBe("verified");
  });

  it("non-canonical DER (BER) spellings of the same r and s are refused", async () => {
    const release = await genuineRelease(releaseKey);
    const sig = Buffer.from(release.signature);
    const { r, s } = derParts(sig);
    const longLength = Buffer.concat([Buffer.from([0x30, 0x81, sig[1]!]), sig.subarray(2)]);
    const paddedR = der(Buffer.concat([Buffer.from([0, 0]), unsigned(r)]), derInt(s));
    const trailing = Buffer.concat([sig, Buffer.from([0])]);
    const appended = Buffer.concat([
      sig.subarray(0, 1),
      Buffer.from([sig[1]! + 2]),
      sig.subarray(2),
      Buffer.from([5, 0]),
    ]);
    for (const variant of [longLength, paddedR, trailing, appended]) {
      expect(verifies(release, new Uint8Array(variant)), variant.toString("hex")).not.toBe("verified");
    }
  });

  it("the high-S twin verifies — held: a signature is never an identity, so the twin buys nothing", async () => {
    // KMS does not normalise S, so refusing high-S would refuse genuine KMS releases half the
    // time. What matters is that nothing is keyed by signature bytes: publication is keyed by
    // version and sequence, approval by version (the API test replays the twin and sees no change).
    const release = await genuineRelease(releaseKey);
    const { r, s } = derParts(release.signature);
    const twin = der(derInt(r), derInt(N - s));
    expect(Buffer.from(twin).equals(Buffer.from(release.signature))).toBe(false);
    expect(verifies(release, twin)).toBe("verified");
  });
});

/** The genuine manifest's bytes rewritten, then signed by the genuine release key. */
async function respelled(rewrite: (json: string) => string) {
  const release = await genuineRelease(releaseKey);
  const manifestBytes = encode(rewrite(decode(release.manifestBytes)));
  const signature = await releaseKey.sign(manifestBytes);
  return { release, attempt: () => verifyRelease(verifyInput({ ...release, manifestBytes, signature })) };
}

describe("a second spelling of a manifest, signed by the genuine key, is refused (canonical form byte for byte)", () => {
  const spellings: Record<string, (json: string) => string> = {
    "pretty-printed": (json) => JSON.stringify(JSON.parse(json), null, 2),
    "a trailing newline": (json) => `${json}\n`,
    "a UTF-8 byte-order mark": (json) => `\ufeff${json}`,
    "keys in another order": (json) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(json)).reverse())),
    "a unicode escape for a plain character": (json) =>
      json.replace('"format":"stackfleet', '"format":"\\u0073tackfleet'),
    "an escaped slash": (json) =>
      json.replace('"format":"stackfleet.manifest/1"', '"format":"stackfleet.manifest\\/1"'),
    "a duplicate key whose last value wins": (json) =>
      json.replace('"broadening":false', '"broadening":true,"broadening":false'),
    "a duplicate key that would flip broadening for a first-wins parser": (json) =>
      json.replace('"broadening":false', '"broadening":false,"broadening":false'),
    "an extra unknown field": (json) => json.replace('{"broadening"', '{"approved":true,"broadening"'),
    "a __proto__ key": (json) => json.replace('{"broadening"', '{"__proto__":{"broadening":true},"broadening"'),
    "sequence as 2e0": (json) => json.replace('"sequence":2', '"sequence":2e0'),
    "sequence as 2.0": (json) => json.replace('"sequence":2', '"sequence":2.0'),
    "sequence as -0 (negative zero)": (json) => json.replace('"sequence":2', '"sequence":-0'),
    "template size with an exponent": (json) => json.replace(/"size":(\d+)/, '"size":$1e0'),
  };
  for (const [name, rewrite] of Object.entries(spellings)) {
    it(name, async () => {
      const { release, attempt } = await respelled(rewrite);
      expect(decode(release.manifestBytes)).toMatch(/"broadening":false.*"sequence":2/);
      expect(codeOf(attempt)).toBe("manifest_invalid");
    });
  }

  it("the unchanged canonical bytes re-signed still verify (the refusals above are about the spelling)", async () => {
    const { attempt } = await respelled((json) => json);
    expect(attempt().manifest.sequence).toBe(2);
  });
});

describe("the approver's second signature", () => {
  const approve = async (release: Release, approval: Approval) => {
    const pinnedApproverKeys = [{ keyId: approverKey.keyId, publicKeyPem: await approverKey.publicKey() }];
    return codeOfOrOk(() => verifyApproval({ manifestBytes: release.manifestBytes, approval, pinnedApproverKeys }));
  };

  it("refuses base64 with whitespace, the raw r‖s form, and an approval over another manifest", async () => {
    const release = await genuineRelease(releaseKey);
    const other = await genuineRelease(releaseKey, { version: "2.0.1", sequence: 3 });
    const genuine = await approverKey.sign(release.manifestBytes);
    const b64 = Buffer.from(genuine).toString("base64");
    expect(await approve(release, { keyId: approverKey.keyId, signature: b64 })).toBe("ok");
    const { r, s } = derParts(genuine);
    const p1363 = Buffer.concat([unsigned(r, 32), unsigned(s, 32)]).toString("base64");
    expect(await approve(release, { keyId: approverKey.keyId, signature: p1363 })).toBe("approval_invalid");
    const replayed = Buffer.from(await approverKey.sign(other.manifestBytes)).toString("base64");
    expect(await approve(release, { keyId: approverKey.keyId, signature: replayed })).toBe("approval_invalid");
    // Buffer's decoder skips whitespace, so a spaced string must not be a second accepted spelling.
    const spaced = `${b64.slice(0, 10)} \n${b64.slice(10)}`;
    expect(await approve(release, { keyId: approverKey.keyId, signature: spaced })).toBe("approval_invalid");
  });

  it("refuses the release key's own signature even when it is also (mis)pinned as an approver", async () => {
    const release = await genuineRelease(releaseKey);
    const own = Buffer.from(await releaseKey.sign(release.manifestBytes)).toString("base64");
    const pinnedBoth = [{ keyId: releaseKey.keyId, publicKeyPem: await releaseKey.publicKey() }];
    expect(
      codeOfOrOk(() =>
        verifyApproval({
          manifestBytes: release.manifestBytes,
          approval: { keyId: releaseKey.keyId, signature: own },
          pinnedApproverKeys: pinnedBoth,
        }),
      ),
    ).toBe("approval_invalid");
  });
});

function codeOfOrOk(fn: () => unknown): string {
  try {
    fn();
    return "ok";
  } catch (e) {
    return (e as { code?: string }).code ?? String(e);
  }
}
