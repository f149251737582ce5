import { createRoute, z } from "@hono/zod-openapi";
import { VerifiedTemplate, Version } from "@stackfleet/core/version";
import { bearerAuth, requireAuth } from "./auth";
import { router } from "./env";
import { errors, json, VersionParam } from "./openapi";

const VERIFY_YOURSELF = `The exact bytes every customer stack of this version is updated with, served only after
Stackfleet verified them against the version's signed manifest (a version whose stored bytes
fail that check is quarantined fleet-wide and this route answers 409 \`version_quarantined\`).

Verify it yourself, trusting nothing but the public key you pinned:

1. Save \`template\` exactly as returned (or fetch \`?format=raw\`, the bytes with no JSON around
   them) and check \`sha256sum template.yaml\` equals \`sha256\` and \`manifest.template.sha256\`,
   and its size equals \`manifest.template.size\`.
2. Decode \`signed.manifest\` and \`signed.signature\` (base64) to \`manifest.json\` and \`manifest.sig\`.
   The signature is ECDSA P-256 / SHA-256 (DER) over exactly those manifest bytes:
   \`openssl dgst -sha256 -verify pinned-key.pem -signature manifest.sig manifest.json\` must print
   \`Verified OK\`, with the key whose id is \`signed.keyId\` (\`publicKeyPem\` shows the key this
   deployment pins; compare it with the one you got out of band).
3. Check \`manifest.version\` is the version you asked for, and \`manifest.stackPrefix\` your stacks'.

\`npx stackfleet changelog old.yaml new.yaml\` then diffs two downloaded versions locally.`;

const TemplateView = z
  .object({
    version: z.string(),
    sha256: z.string().openapi({ description: "SHA-256 (hex) of `template`'s exact bytes" }),
    size: z.number().openapi({ description: "Byte length of the template" }),
    template: z.string().openapi({ description: "The verified template, exactly as deployed (UTF-8)" }),
    manifest: z.record(z.string(), z.unknown()).openapi({ description: "The signed manifest, decoded" }),
    signed: z
      .object({ manifest: z.string(), signature: z.string(), keyId: z.string() })
      .openapi({ description: "Exact signed manifest bytes and DER signature, base64" }),
    publicKeyPem: z
      .string()
      .nullable()
      .openapi({ description: "The pinned public key with `signed.keyId` in this deployment; null if not pinned" }),
  })
  .openapi("VersionTemplate");

export const versionTemplate = router().openapi(
  createRoute({
    method: "get",
    path: "/{version}/template",
    summary: "Download a version's verified template with its sha256, signed manifest and signature",
    description: VERIFY_YOURSELF,
    tags: ["versions"],
    security: bearerAuth,
    middleware: [requireAuth()] as const,
    request: {
      params: VersionParam,
      query: z.object({
        format: z
          .enum(["json", "raw"])
          .default("json")
          .openapi({ description: "`raw`: only the template bytes, with `x-template-sha256`" }),
      }),
    },
    responses: {
      200: {
        ...json(TemplateView, "The verified template and what proves it"),
        content: {
          "application/json": { schema: TemplateView },
          "application/octet-stream": { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      ...errors(400, 401, 403, 404, 409),
    },
  }),
  async (c) => {
    const deps = c.get("deps");
    const version = await Version.get(deps, c.req.valid("param").version);
    const { bytes, manifest } = await VerifiedTemplate.verifiedTemplate(deps, deps.publishing.release, version);
    if (c.req.valid("query").format === "raw") {
      return c.body(Buffer.from(bytes), 200, {
        "content-type": "application/octet-stream",
        "x-template-sha256": manifest.template.sha256,
        "content-disposition": `attachment; filename="template-${version.version}.yaml"`,
      });
    }
    const pinned = deps.publishing.release.pinnedKeys.find((k) => k.keyId === version.keyId);
    return c.json(
      {
        version: version.version,
        sha256: manifest.template.sha256,
        size: manifest.template.size,
        template: new TextDecoder().decode(bytes),
        manifest: manifest as unknown as Record<string, unknown>,
        signed: { manifest: version.manifest, signature: version.signature, keyId: version.keyId },
        publicKeyPem: pinned?.publicKeyPem ?? null,
      },
      200,
    );
  },
);
