import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { verifyRelease } from "../src/version/verify";
import { codeOf, genuineRelease, newLocalSigner, type Release, verifyInput } from "./support/release";

/**
 * Every single-byte change to any of the three inputs must be refused. A change of a byte's
 * value keeps the length, so these exercise the signature and hash checks, not the size checks.
 */
const RUNS = 2000;

let release: Release;
beforeAll(async () => {
  release = await genuineRelease(newLocalSigner());
});

const flipOneByte = (bytes: Uint8Array, index: number, xor: number) => {
  const copy = new Uint8Array(bytes);
  copy[index % bytes.length]! ^= xor;
  return copy;
};

const insertOrDeleteOneByte = (bytes: Uint8Array, index: number, insert: number | null) => {
  if (insert === null) {
    const at = index % bytes.length;
    return new Uint8Array([...bytes.slice(0, at), ...bytes.slice(at + 1)]);
  }
  const at = index % (bytes.length + 1);
  return new Uint8Array([...bytes.slice(0, at), insert, ...bytes.slice(at)]);
};

const position = fc.nat({ max: 1_000_000 });
const xorMask = fc.integer({ min: 1, max: 255 });
const insertion = fc.option(fc.integer({ min: 0, max: 255 }), { nil: null });

describe("single-byte mutations", () => {
  it("the genuine release verifies", () => {
    expect(verifyRelease(verifyInput(release)).manifest.version).toBe("2.0.0");
  });

  it(`rejects every changed byte of the manifest (${RUNS} samples)`, () => {
    fc.assert(
      fc.property(position, xorMask, (i, x) => {
        const manifestBytes = flipOneByte(release.manifestBytes, i, x);
        expect(codeOf(() => verifyRelease(verifyInput(release, { manifestBytes })))).toBe("signature_invalid");
      }),
      { numRuns: RUNS },
    );
  });

  it(`rejects every changed byte of the signature (${RUNS} samples)`, () => {
    fc.assert(
      fc.property(position, xorMask, (i, x) => {
        const signature = flipOneByte(release.signature, i, x);
        expect(["signature_malformed", "signature_invalid"]).toContain(
          codeOf(() => verifyRelease(verifyInput(release, { signature }))),
        );
      }),
      { numRuns: RUNS },
    );
  });

  it(`rejects every changed byte of the template (${RUNS} samples)`, () => {
    fc.assert(
      fc.property(position, xorMask, (i, x) => {
        const templateBytes = flipOneByte(release.templateBytes, i, x);
        expect(codeOf(() => verifyRelease(verifyInput(release, { templateBytes })))).toBe("template_mismatch");
      }),
      { numRuns: RUNS },
    );
  });

  it(`rejects every inserted or deleted byte in any of the three (${RUNS} samples)`, () => {
    const fields = ["manifestBytes", "signature", "templateBytes"] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), position, insertion, (field, i, insert) => {
        const mutated = insertOrDeleteOneByte(release[field], i, insert);
        expect(() => verifyRelease(verifyInput(release, { [field]: mutated }))).toThrow(
          expect.objectContaining({ name: "StackfleetError" }),
        );
      }),
      { numRuns: RUNS },
    );
  });
});
