import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "@stackfleet/core/auth";
import type { Actor } from "@stackfleet/core/context";
// The manifest's own key id rule (printable ASCII, no spaces): an odd id is a 400 at the door,
// never a key lookup or an error message echoing whatever the caller sent.
import { KEY_ID } from "@stackfleet/core/signing/pinned";
import { Halts, Publish, PublishSigned } from "@stackfleet/core/version";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { bearerAuth, principalOf, requireAuth, requireOperator } from "./auth";
import { type ApiDeps, router } from "./env";
import { errors, json, jsonBody, VersionParam } from "./openapi";
import { startPlanning } from "./rollout-context";
import { PlanView } from "./rollout-views";
import { Planned, toDetail, toView, VersionDetail } from "./versions";

const tags = ["versions"];
const Base64 = z.base64().min(4);
const KeyId = z
  .string()
  .min(1)
  .max(2048)
  .refine((id) => KEY_ID.safeParse(id).success, "must be printable ASCII without spaces");

const Allow = {
  allowTransforms: z.boolean().optional(),
  allowNestedStacks: z.boolean().optional(),
};

/** The release tool's upload: bytes, the canonical manifest it signed, and the signature. */
const SignedRelease = z
  .strictObject({
    template: Base64.openapi({ description: "The exact template bytes, base64" }),
    manifest: Base64.openapi({ description: "The exact canonical manifest bytes that were signed, base64" }),
    signature: Base64.max(100).openapi({ description: "DER ECDSA P-256 signature over the manifest bytes, base64" }),
    keyId: KeyId.openapi({ description: "The pinned release key that signed" }),
    ...Allow,
  })
  .openapi("SignedRelease");

/** One-step publication: only where the deployment wires a signer (`npm start`), never in AWS. */
const OneStepPublish = z
  .strictObject({
    version: z.string().max(64).openapi({ example: "1.1.0" }),
    template: z
      .string()
      .min(1)
      .openapi({ description: "The template text (YAML or JSON), exactly as it will be deployed" }),
    minFromVersion: z.string().max(64).nullish(),
    parameters: z
      .array(z.string().regex(/^[A-Za-z0-9]{1,255}$/))
      .max(200)
      .optional()
      .openapi({ description: "Parameters this version may set; all others keep their previous value" }),
    ...Allow,
  })
  .openapi("OneStepPublish");

const PublishBody = z.union([SignedRelease, OneStepPublish]).openapi("PublishVersion");

const Published = VersionDetail.extend({
  plan: PlanView.nullable().openapi({
    description: "null while the version awaits approval: it is planned when approved",
  }),
}).openapi("PublishedVersion");

const Approve = z
  .strictObject({
    keyId: KeyId.openapi({ description: "The pinned approver key that signed" }),
    signature: Base64.max(100).openapi({
      description: "The approver's DER ECDSA P-256 signature over the version's exact manifest bytes, base64",
    }),
  })
  .openapi("Approval");

type PublishRequest = z.infer<typeof PublishBody>;

function publishFrom(deps: ApiDeps, body: PublishRequest, actor: Actor): Promise<VersionRecord> {
  const allow = { allowTransforms: body.allowTransforms, allowNestedStacks: body.allowNestedStacks };
  if ("manifest" in body) {
    const bytes = (b64: string) => new Uint8Array(Buffer.from(b64, "base64"));
    return PublishSigned.publishSigned(
      deps,
      deps.publishing,
      {
        templateBytes: bytes(body.template),
        manifestBytes: bytes(body.manifest),
        signature: bytes(body.signature),
        keyId: body.keyId,
        allow,
      },
      actor,
    );
  }
  return Publish.publish(
    deps,
    deps.publishing,
    {
      templateBytes: new TextEncoder().encode(body.template),
      version: body.version,
      minFromVersion: body.minFromVersion,
      parameters: body.parameters,
      allow,
    },
    actor,
  );
}

/** Plans a version that may roll out now: published and, when it needs approval, approved. */
async function planIfReady(deps: ApiDeps, version: VersionRecord) {
  if (version.state !== "published" || (version.approvalRequired && !version.approvedBy)) return null;
  return startPlanning(deps, version);
}

/** Mounted at /v1/versions: publication and approval, the two ways a version comes to roll out. */
export const versionRelease = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      summary: "Publish a release signed by the release tool (operators): verify, store, changelog, plan",
      description:
        "The API never signs. `stackfleet versions release` builds the canonical manifest (with its broadening " +
        "verdict), signs it with the release key (KMS, or a key file) and uploads template, manifest and signature " +
        "as base64. The API verifies the signature against the pinned release keys, re-derives the template's " +
        "sha256 and size, the next sequence and the changelog against the previous verified version, and refuses " +
        "`grace_too_short` (notBefore − issuedAt under the grace the changelog demands) and `broadening_mismatch`. " +
        "A broadening release waits for an approver's signature (`POST /v1/versions/{version}/approve`). The " +
        "one-step form `{ version, template }` works only where a signer is wired (`npm start`); elsewhere it is " +
        "400 `signing_not_available`.",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { body: jsonBody(PublishBody) },
      responses: {
        201: json(Published, "Published, and its rollout planned unless it awaits approval"),
        ...errors(400, 401, 403, 409, 415),
      },
    }),
    async (c) => {
      const deps = c.get("deps");
      const published = await publishFrom(deps, c.req.valid("json"), actorOf(principalOf(c)));
      // A version awaiting approval is planned when it is approved.
      const plan = published.approvalRequired ? null : await startPlanning(deps, published);
      return c.json({ ...toDetail(published), plan }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{version}/approve",
      summary: "Approve a broadening version with the approver key's signature, and plan its rollout (operators)",
      description:
        "`stackfleet versions approve VERSION` signs the version's exact manifest bytes (`signed.manifest` of " +
        "`GET /v1/versions/{version}`) with a key pinned as approver (`STACKFLEET_PINNED_APPROVER_KEYS`), never " +
        "the release key. Anything else is 400 `approval_invalid`; the executor checks the stored signature again.",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { params: VersionParam, body: jsonBody(Approve) },
      responses: {
        200: json(Planned, "The version after approval; `plan` is null when it may not roll out yet"),
        ...errors(400, 401, 403, 404, 409, 415),
      },
    }),
    async (c) => {
      const deps = c.get("deps");
      const approved = await Halts.approveVersion(
        deps,
        deps.publishing,
        c.req.valid("param").version,
        c.req.valid("json"),
        actorOf(principalOf(c)),
      );
      return c.json({ ...toView(approved), plan: await planIfReady(deps, approved) }, 200);
    },
  );
