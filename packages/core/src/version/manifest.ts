import { inputError } from "../error";
import { KEY_ID } from "../signing/pinned";
import * as z from "../zod-mini";
import semver from "./semver";

/**
 * The signed manifest: everything the executor trusts about a version. It carries the
 * template's SHA-256 and size, never the template, so it stays under KMS's 4,096-byte RAW limit.
 */
export const MANIFEST_FORMAT = "stackfleet.manifest/1";
export const MAX_MANIFEST_BYTES = 4096;
/** CloudFormation's `TemplateBody` limit: the verified bytes are sent as the body. */
export const MAX_TEMPLATE_BYTES = 51_200;

export const CAPABILITIES = ["CAPABILITY_AUTO_EXPAND", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"] as const;
export type Capability = (typeof CAPABILITIES)[number];

/**
 * Parameters no version may ever set: the customer's trust (`ExternalId`) and off switch
 * (`EnableAutoUpdate`) always keep their previous value, even under a genuine signature.
 */
export const PROTECTED_PARAMETERS: readonly string[] = ["ExternalId", "EnableAutoUpdate"];

const SEMVER = z.string().check(
  z.maxLength(256),
  z.refine((v) => semver.valid(v) === v, "must be a semantic version like 1.2.3"),
);

// Millisecond precision with Z, exactly what Date#toISOString prints: one spelling per instant.
const ISO_UTC = z.string().check(
  z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/, "must be an ISO timestamp in UTC"),
  z.refine((s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString() === s, "must be a valid instant"),
);

// CloudFormation's parameter names: alphanumeric, at most 255 characters.
const PARAMETER_NAME = z.string().check(z.regex(/^[A-Za-z0-9]{1,255}$/));

const ascendingUnique = (values: readonly string[]) => values.every((v, i) => i === 0 || values[i - 1]! < v);

export const manifestSchema = z
  .strictObject({
    format: z.literal(MANIFEST_FORMAT),
    product: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)),
    stackPrefix: z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9-]{0,63}$/, "must be a valid start of a stack name")),
    version: SEMVER,
    sequence: z.number().check(z.int(), z.positive(), z.lte(Number.MAX_SAFE_INTEGER)),
    template: z.strictObject({
      sha256: z.string().check(z.regex(/^[0-9a-f]{64}$/, "must be lowercase hex SHA-256")),
      size: z.number().check(z.int(), z.gte(1), z.lte(MAX_TEMPLATE_BYTES)),
    }),
    capabilities: z.array(z.enum(CAPABILITIES)).check(z.maxLength(CAPABILITIES.length)),
    parameters: z.array(PARAMETER_NAME).check(z.maxLength(200)),
    /**
     * Every parameter the template declares, checked against the template bytes at publication:
     * the executor keeps each one the version does not set at its previous value without having
     * to parse the template (and carry a YAML parser) itself.
     */
    templateParameters: z.array(PARAMETER_NAME).check(z.maxLength(200)),
    minFromVersion: z.nullable(SEMVER),
    /**
     * The release tool's verdict that this version grants more than the previous verified one;
     * signed, so the executor can demand an approver's second signature without trusting the table.
     */
    broadening: z.boolean(),
    notBefore: ISO_UTC,
    expiresAt: ISO_UTC,
    issuedAt: ISO_UTC,
    keyId: KEY_ID,
  })
  .check(
    z.superRefine((m, ctx) => {
      // Sorted, duplicate-free lists keep the serialisation canonical.
      if (!ascendingUnique(m.capabilities))
        ctx.addIssue({ code: "custom", path: ["capabilities"], message: "must be sorted and unique" });
      if (!ascendingUnique(m.parameters))
        ctx.addIssue({ code: "custom", path: ["parameters"], message: "must be sorted and unique" });
      if (!ascendingUnique(m.templateParameters))
        ctx.addIssue({ code: "custom", path: ["templateParameters"], message: "must be sorted and unique" });
      for (const name of m.parameters) {
        if (PROTECTED_PARAMETERS.includes(name)) {
          ctx.addIssue({ code: "custom", path: ["parameters"], message: `${name} always keeps its previous value` });
        }
        if (!m.templateParameters.includes(name)) {
          ctx.addIssue({ code: "custom", path: ["parameters"], message: `${name} is not a template parameter` });
        }
      }
      // Field checks don't stop this cross-field one from running, so guard against invalid input.
      const { minFromVersion, version } = m;
      if (
        minFromVersion !== null &&
        semver.valid(minFromVersion) &&
        semver.valid(version) &&
        !semver.lt(minFromVersion, version)
      ) {
        ctx.addIssue({ code: "custom", path: ["minFromVersion"], message: "must be lower than version" });
      }
      if (!(m.issuedAt <= m.notBefore))
        ctx.addIssue({ code: "custom", path: ["notBefore"], message: "must not precede issuedAt" });
      if (!(m.notBefore < m.expiresAt))
        ctx.addIssue({ code: "custom", path: ["expiresAt"], message: "must be after notBefore" });
    }),
  );

export type Manifest = z.infer<typeof manifestSchema>;

export type ManifestInput = {
  product: string;
  stackPrefix: string;
  version: string;
  sequence: number;
  template: { sha256: string; size: number };
  capabilities: readonly Capability[];
  parameters: readonly string[];
  templateParameters: readonly string[];
  minFromVersion: string | null;
  broadening: boolean;
  notBefore: Date;
  expiresAt: Date;
  issuedAt: Date;
  keyId: string;
};

/** Builds a valid manifest (lists sorted, times as ISO UTC) or throws `manifest_invalid`. */
export function buildManifest(input: ManifestInput): Manifest {
  const candidate = {
    format: MANIFEST_FORMAT,
    product: input.product,
    stackPrefix: input.stackPrefix,
    version: input.version,
    sequence: input.sequence,
    template: { sha256: input.template.sha256, size: input.template.size },
    capabilities: [...new Set(input.capabilities)].sort(),
    parameters: [...new Set(input.parameters)].sort(),
    templateParameters: [...new Set(input.templateParameters)].sort(),
    minFromVersion: input.minFromVersion,
    broadening: input.broadening,
    notBefore: isoOrInvalid(input.notBefore),
    expiresAt: isoOrInvalid(input.expiresAt),
    issuedAt: isoOrInvalid(input.issuedAt),
    keyId: input.keyId,
  };
  const result = manifestSchema.safeParse(candidate);
  if (!result.success) throw inputError("manifest_invalid", `Manifest is invalid: ${z.prettifyError(result.error)}`);
  return result.data;
}

const isoOrInvalid = (date: Date) => (Number.isNaN(date.getTime()) ? "invalid" : date.toISOString());

/**
 * The one byte form of a manifest: compact JSON, object keys in ascending order at every level,
 * UTF-8. These are the bytes that get signed; the verifier rejects any other spelling.
 */
export function serializeManifest(manifest: Manifest): Uint8Array {
  const bytes = new TextEncoder().encode(canonicalJson(manifest));
  if (bytes.length > MAX_MANIFEST_BYTES) {
    throw inputError("manifest_oversize", `Manifest is ${bytes.length} bytes; the limit is ${MAX_MANIFEST_BYTES}`, {
      size: bytes.length,
      limit: MAX_MANIFEST_BYTES,
    });
  }
  return bytes;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}
