import * as crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isStackfleetError } from "../src/error";
import { parseTemplate } from "../src/template/parse";
import { MAX_MANIFEST_BYTES, MAX_TEMPLATE_BYTES } from "../src/version/manifest";
import { verifyRelease } from "../src/version/verify";
import { genuineRelease, newLocalSigner, type Release, verifyInput } from "./support/release";

// Observe, without changing, what verification does with the bytes and in which order.
vi.mock("node:crypto", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:crypto")>();
  return { ...actual, verify: vi.fn(actual.verify), createHash: vi.fn(actual.createHash) };
});
vi.mock("../src/template/parse", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../src/template/parse")>();
  return { ...actual, parseTemplate: vi.fn(actual.parseTemplate) };
});

const signatureCheck = vi.mocked(crypto.verify);
const hashing = vi.mocked(crypto.createHash);

let release: Release;
beforeAll(async () => {
  release = await genuineRelease(newLocalSigner());
});
afterAll(() => vi.restoreAllMocks());

/** Runs verification with JSON.parse spied on only for its duration; returns the refusal code, if any. */
function verifyObserved(input: Parameters<typeof verifyRelease>[0]) {
  signatureCheck.mockClear();
  hashing.mockClear();
  vi.mocked(parseTemplate).mockClear();
  const spy = vi.spyOn(JSON, "parse");
  // Copied before mockRestore, which also forgets the calls.
  const jsonParse = () => ({ calls: [...spy.mock.calls], invocationCallOrder: [...spy.mock.invocationCallOrder] });
  try {
    verifyRelease(input);
    return { code: undefined, jsonParse: jsonParse() };
  } catch (e) {
    if (!isStackfleetError(e)) throw e;
    return { code: e.code, jsonParse: jsonParse() };
  } finally {
    spy.mockRestore();
  }
}

describe("verification order", () => {
  it("checks the manifest size before any signature check or hashing", () => {
    const big = new Uint8Array(MAX_MANIFEST_BYTES + 1);
    const { code } = verifyObserved(verifyInput(release, { manifestBytes: big }));
    expect(code).toBe("manifest_oversize");
    expect(signatureCheck).not.toHaveBeenCalled();
    expect(hashing).not.toHaveBeenCalled();
  });

  it("checks the template size before any signature check or hashing, however large the input", () => {
    const huge = new Uint8Array(64 * MAX_TEMPLATE_BYTES);
    const { code } = verifyObserved(verifyInput(release, { templateBytes: huge }));
    expect(code).toBe("template_oversize");
    expect(signatureCheck).not.toHaveBeenCalled();
    expect(hashing).not.toHaveBeenCalled();
  });

  it("never parses manifest bytes whose signature failed, nor touches the template", () => {
    const tampered = new Uint8Array(release.manifestBytes);
    tampered[tampered.length - 2]! ^= 1;
    const { code, jsonParse } = verifyObserved(verifyInput(release, { manifestBytes: tampered }));
    expect(code).toBe("signature_invalid");
    expect(signatureCheck).toHaveBeenCalledTimes(1);
    expect(jsonParse.calls).toHaveLength(0);
    expect(hashing).not.toHaveBeenCalled();
  });

  it("parses the manifest only after its signature verified, and never parses the template", () => {
    const { code, jsonParse } = verifyObserved(verifyInput(release));
    expect(code).toBeUndefined();
    expect(signatureCheck).toHaveReturnedWith(true);
    expect(jsonParse.calls).toHaveLength(1);
    expect(signatureCheck.mock.invocationCallOrder[0]!).toBeLessThan(jsonParse.invocationCallOrder[0]!);
    expect(parseTemplate).not.toHaveBeenCalled();
    // The spies do see verification's own calls, so the "not called" checks above mean something.
    expect(hashing).toHaveBeenCalledWith("sha256");
  });
});
