import { describe, expect, it } from "vitest";
import { pinnedKeyOf } from "../src/signing/pinned";
import { approvalSchema, parseApproverKeys, verifyApproval } from "../src/version/approval";
import { codeOf, genuineRelease, newLocalSigner } from "./support/release";

const releaseSigner = newLocalSigner();
const approverSigner = newLocalSigner();

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

async function setup() {
  const release = await genuineRelease(releaseSigner, { broadening: true });
  const pinnedApproverKeys = [await pinnedKeyOf(approverSigner)];
  const signature = await approverSigner.sign(release.manifestBytes);
  return { release, pinnedApproverKeys, approval: { keyId: approverSigner.keyId, signature: b64(signature) } };
}

describe("verifyApproval", () => {
  it("accepts the pinned approver's signature over the release's exact manifest bytes, base64 or raw", async () => {
    const { release, pinnedApproverKeys, approval } = await setup();
    expect(verifyApproval({ manifestBytes: release.manifestBytes, approval, pinnedApproverKeys })).toEqual({
      keyId: approverSigner.keyId,
    });
    const raw = { keyId: approval.keyId, signature: Buffer.from(approval.signature, "base64") };
    expect(verifyApproval({ manifestBytes: release.manifestBytes, approval: raw, pinnedApproverKeys }).keyId).toBe(
      approverSigner.keyId,
    );
  });

  it("refuses a signature by an unpinned key, even one naming a pinned key id", async () => {
    const { release, pinnedApproverKeys } = await setup();
    const stranger = newLocalSigner();
    const signature = b64(await stranger.sign(release.manifestBytes));
    for (const keyId of [stranger.keyId, approverSigner.keyId]) {
      expect(
        codeOf(() =>
          verifyApproval({ manifestBytes: release.manifestBytes, approval: { keyId, signature }, pinnedApproverKeys }),
        ),
      ).toBe("approval_invalid");
    }
  });

  it("refuses the release key's own signature, even if it were pinned as an approver", async () => {
    const { release } = await setup();
    const approval = { keyId: releaseSigner.keyId, signature: b64(release.signature) };
    const both = [await pinnedKeyOf(releaseSigner)];
    const error = (() => {
      try {
        verifyApproval({ manifestBytes: release.manifestBytes, approval, pinnedApproverKeys: both });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error).toMatchObject({ code: "approval_invalid", message: expect.stringMatching(/second party/) });
  });

  it("refuses a signature over other bytes (another version's manifest) and a malformed signature", async () => {
    const { pinnedApproverKeys, approval } = await setup();
    const other = await genuineRelease(releaseSigner, { version: "3.0.0", sequence: 3 });
    expect(codeOf(() => verifyApproval({ manifestBytes: other.manifestBytes, approval, pinnedApproverKeys }))).toBe(
      "approval_invalid",
    );
    expect(
      codeOf(() =>
        verifyApproval({
          manifestBytes: other.manifestBytes,
          approval: { keyId: approval.keyId, signature: "AAAA" },
          pinnedApproverKeys,
        }),
      ),
    ).toBe("approval_invalid");
  });

  it("the request schema takes base64 and a key id only", () => {
    expect(approvalSchema.safeParse({ keyId: "local:abc", signature: "MEUCIQ==not" }).success).toBe(false);
    expect(approvalSchema.safeParse({ keyId: "local:abc", signature: "MEUCIQDabcdefghi", x: 1 }).success).toBe(false);
    expect(approvalSchema.safeParse({ keyId: "local:abc", signature: "MEUCIQDabcdefghi" }).success).toBe(true);
  });
});

describe("parseApproverKeys", () => {
  it("refuses a key pinned both for releases and approvals, by id or by public key", async () => {
    const release = await pinnedKeyOf(releaseSigner);
    const approver = await pinnedKeyOf(approverSigner);
    expect(parseApproverKeys(JSON.stringify([approver]), [release])).toEqual([approver]);
    expect(codeOf(() => parseApproverKeys(JSON.stringify([release]), [release]))).toBe("pinned_keys_invalid");
    const renamed = { ...release, keyId: "approver-1" };
    expect(codeOf(() => parseApproverKeys(JSON.stringify([renamed]), [release]))).toBe("pinned_keys_invalid");
    const sameId = { ...approver, keyId: release.keyId };
    expect(codeOf(() => parseApproverKeys(JSON.stringify([sameId]), [release]))).toBe("pinned_keys_invalid");
  });
});
