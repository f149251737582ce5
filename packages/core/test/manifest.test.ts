import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildManifest,
  MAX_MANIFEST_BYTES,
  type ManifestInput,
  manifestSchema,
  serializeManifest,
} from "../src/version/manifest";
import { hoursFromNow, NOW } from "./support/release";

const input: ManifestInput = {
  product: "acme-audit",
  stackPrefix: "AcmeAudit",
  version: "2.1.0",
  sequence: 7,
  template: { sha256: "ab".repeat(32), size: 1234 },
  capabilities: ["CAPABILITY_NAMED_IAM", "CAPABILITY_IAM"],
  parameters: ["Zone", "AuditLevel", "Zone"],
  templateParameters: ["Zone", "ExternalId", "AuditLevel", "EnableAutoUpdate", "Zone"],
  minFromVersion: "1.2.0",
  broadening: true,
  issuedAt: NOW,
  notBefore: hoursFromNow(24),
  expiresAt: hoursFromNow(24 * 31),
  keyId: "local:0123456789abcdef",
};

describe("buildManifest", () => {
  it("builds a manifest with every field, lists sorted and de-duplicated, times in ISO UTC", () => {
    expect(buildManifest(input)).toEqual({
      format: "stackfleet.manifest/1",
      product: "acme-audit",
      stackPrefix: "AcmeAudit",
      version: "2.1.0",
      sequence: 7,
      template: { sha256: "ab".repeat(32), size: 1234 },
      capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
      parameters: ["AuditLevel", "Zone"],
      templateParameters: ["AuditLevel", "EnableAutoUpdate", "ExternalId", "Zone"],
      minFromVersion: "1.2.0",
      broadening: true,
      notBefore: "2026-11-22T12:00:00.000Z",
      expiresAt: "2026-12-22T12:00:00.000Z",
      issuedAt: "2026-11-21T12:00:00.000Z",
      keyId: "local:0123456789abcdef",
    });
  });

  it.each([
    ["a version that is not semver", { version: "v2" }],
    ["a non-positive sequence", { sequence: 0 }],
    ["a fractional sequence", { sequence: 1.5 }],
    ["an uppercase sha256", { template: { sha256: "AB".repeat(32), size: 1 } }],
    ["an oversize template", { template: { sha256: "ab".repeat(32), size: 51_201 } }],
    ["a minimum from-version not below the version", { minFromVersion: "2.1.0" }],
    ["a protected parameter", { parameters: ["EnableAutoUpdate"] }],
    ["a parameter the template does not declare", { parameters: ["Region"] }],
    [
      "a template parameter name CloudFormation would refuse",
      { templateParameters: ["AuditLevel", "Zone", "my-zone"] },
    ],
    ["an expiry not after not-before", { expiresAt: hoursFromNow(24) }],
    ["a not-before before issuance", { notBefore: hoursFromNow(-1) }],
    ["an invalid date", { expiresAt: new Date(Number.NaN) }],
    ["a key id with spaces", { keyId: "my key" }],
    ["a broadening verdict that is not a boolean", { broadening: "yes" }],
  ] as const)("rejects %s", (_, change) => {
    expect(() => buildManifest({ ...input, ...change } as ManifestInput)).toThrow(
      expect.objectContaining({ code: "manifest_invalid" }),
    );
  });
});

describe("manifestSchema", () => {
  const manifest = buildManifest(input);

  it("rejects unknown keys at any level", () => {
    expect(manifestSchema.safeParse({ ...manifest, extra: 1 }).success).toBe(false);
    expect(
      manifestSchema.safeParse({ ...manifest, template: { ...manifest.template, url: "https://x" } }).success,
    ).toBe(false);
  });

  it("rejects unsorted lists, which would be a second spelling of the same manifest", () => {
    expect(manifestSchema.safeParse({ ...manifest, parameters: ["Zone", "AuditLevel"] }).success).toBe(false);
    const reordered = ["Zone", "AuditLevel", "EnableAutoUpdate", "ExternalId"];
    expect(manifestSchema.safeParse({ ...manifest, templateParameters: reordered }).success).toBe(false);
    expect(
      manifestSchema.safeParse({ ...manifest, capabilities: ["CAPABILITY_NAMED_IAM", "CAPABILITY_IAM"] }).success,
    ).toBe(false);
  });

  it("never throws, whatever JSON a signer put in a field (verification relies on it)", () => {
    const fields = Object.keys(manifest);
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, value) => {
        const result = manifestSchema.safeParse({ ...manifest, [field]: value });
        expect(typeof result.success).toBe("boolean");
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects timestamps that are not ISO UTC with milliseconds", () => {
    expect(manifestSchema.safeParse({ ...manifest, issuedAt: "2026-11-21T12:00:00Z" }).success).toBe(false);
    expect(manifestSchema.safeParse({ ...manifest, issuedAt: "2026-02-30T12:00:00.000Z" }).success).toBe(false);
  });
});

describe("serializeManifest", () => {
  it("writes compact JSON with keys in ascending order at every level", () => {
    const text = new TextDecoder().decode(serializeManifest(buildManifest(input)));
    expect(text).toBe(
      '{"broadening":true,"capabilities":["CAPABILITY_IAM","CAPABILITY_NAMED_IAM"],"expiresAt":"2026-12-22T12:00:00.000Z",' +
        '"format":"stackfleet.manifest/1","issuedAt":"2026-11-21T12:00:00.000Z","keyId":"local:0123456789abcdef",' +
        '"minFromVersion":"1.2.0","notBefore":"2026-11-22T12:00:00.000Z","parameters":["AuditLevel","Zone"],' +
        '"product":"acme-audit","sequence":7,"stackPrefix":"AcmeAudit",' +
        `"template":{"sha256":"${"ab".repeat(32)}","size":1234},` +
        '"templateParameters":["AuditLevel","EnableAutoUpdate","ExternalId","Zone"],"version":"2.1.0"}',
    );
  });

  it("gives the same bytes whatever order the fields were built in", () => {
    const manifest = buildManifest(input);
    const reversed = Object.fromEntries(Object.entries(manifest).reverse()) as typeof manifest;
    expect(serializeManifest(reversed)).toEqual(serializeManifest(manifest));
  });

  it("refuses a manifest over 4,096 bytes", () => {
    const parameters = Array.from({ length: 200 }, (_, i) => `Parameter${String(i).padStart(3, "0")}Name`);
    const manifest = buildManifest({ ...input, parameters, templateParameters: parameters });
    expect(() => serializeManifest(manifest)).toThrow(
      expect.objectContaining({
        code: "manifest_oversize",
        details: expect.objectContaining({ limit: MAX_MANIFEST_BYTES }),
      }),
    );
  });
});
