import { createRoute, z } from "@hono/zod-openapi";
import { renderMarkdown } from "@stackfleet/core/changelog";
import { OperatorControls, type PlanResult } from "@stackfleet/core/rollout";
import { Publish, Version } from "@stackfleet/core/version";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { VERSION_STATES } from "@stackfleet/core/version/version.entity";
import { bearerAuth, principalOf, requireAuth, requireOperator } from "./auth";
import { type ApiDeps, router } from "./env";
import { errors, json, VersionParam } from "./openapi";
import { listPage, Page, PageQuery } from "./paging";
import { operatorRequest, optionalReason } from "./reason";
import { PlanView } from "./rollout-views";

const tags = ["versions"];
const readErrors = errors(400, 401, 403, 404);
// 409 codes here: `version_not_halted`, `approval_not_required`, `version_quarantined`, …
const actionErrors = errors(400, 401, 403, 404, 409, 415);

export const VersionView = z
  .object({
    version: z.string(),
    sequence: z.number(),
    state: z.enum(VERSION_STATES),
    stateReason: z.string().optional(),
    graceEndsAt: z.string(),
    permissionsBroadened: z.boolean(),
    approvalRequired: z.boolean(),
    approvedBy: z.string().optional(),
    changelogSummary: z.string().optional(),
    // Where the bytes are stored is the deployment's business, not a tenant's: only what identifies them.
    template: z.object({ sha256: z.string(), size: z.number() }),
    publishedBy: z.string(),
    createdAt: z.string(),
  })
  .openapi("Version");

export const VersionDetail = VersionView.extend({
  manifest: z.record(z.string(), z.unknown()).openapi({ description: "The signed manifest, decoded" }),
  signed: z
    .object({
      manifest: z.string(),
      signature: z.string(),
      keyId: z.string(),
      approval: z.object({ keyId: z.string(), signature: z.string() }).optional(),
    })
    .openapi({ description: "Exact signed bytes, DER signature and any approver's second signature, base64" }),
  changelog: z
    .unknown()
    .openapi({ description: "Changelog against the previous version (schemaVersion 1, see README)" }),
}).openapi("VersionDetail");

export const toView = (v: VersionRecord): z.infer<typeof VersionView> => ({
  version: v.version,
  sequence: v.sequence,
  state: v.state,
  stateReason: v.stateReason,
  graceEndsAt: v.graceEndsAt,
  permissionsBroadened: v.permissionsBroadened,
  approvalRequired: v.approvalRequired,
  approvedBy: v.approvedBy,
  changelogSummary: v.changelogSummary,
  template: { sha256: v.templateSha256, size: v.templateSize },
  publishedBy: v.publishedBy,
  createdAt: v.createdAt,
});

export const Planned = VersionView.extend({ plan: PlanView.nullable() }).openapi("PlannedVersion");

const versionAction = <P extends string>(path: P, summary: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    tags,
    security: bearerAuth,
    middleware: [requireAuth(), requireOperator()] as const,
    request: { params: VersionParam, ...optionalReason },
    responses: { 200: json(VersionView, "The version after the action"), ...actionErrors },
  });
/** A version action that may start planning: answers with the version and the plan it started. */
const plannedAction = <P extends string>(path: P, summary: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    tags,
    security: bearerAuth,
    middleware: [requireAuth(), requireOperator()] as const,
    request: { params: VersionParam, ...optionalReason },
    responses: {
      200: json(Planned, "The version after the action; `plan` is null when it may not roll out yet"),
      ...actionErrors,
    },
  });
/** A resume's first batch as the response shows it; the rest continues the way a plan does. */
async function handOn(deps: ApiDeps, version: string, { cursor, ...plan }: PlanResult) {
  if (cursor) await deps.rollout.continuePlanning(version, cursor);
  return { ...plan, continuing: cursor !== null };
}

/** Mounted at /v1/versions. */
export const versions = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "Published versions, latest first",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { query: PageQuery },
      responses: { 200: json(Page(VersionView), "A page of versions"), ...errors(400, 401, 403) },
    }),
    async (c) => {
      const principal = principalOf(c);
      // Versions are global; the cursor is still bound to who asked (a tenant, or operators).
      const caller = principal.role === "tenant-admin" ? principal.tenantId : "operators";
      const page = await listPage(
        c,
        { route: "versions", tenantId: caller },
        c.req.valid("query"),
        (p) => Version.list(c.get("deps"), p),
        toView,
      );
      return c.json(page, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{version}",
      summary: "A version: manifest, signature, changelog, grace end, state",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: VersionParam },
      responses: { 200: json(VersionDetail, "The version"), ...readErrors },
    }),
    async (c) => c.json(toDetail(await Version.get(c.get("deps"), c.req.valid("param").version)), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{version}/changelog",
      summary: "What changes from another version (default: the previous one) to this one",
      description:
        "Customers are shown what changes from the version their stack runs, not from the previous published one. " +
        "Skipping a version hides it: the next version's changelog for that customer is computed from the installed " +
        "version (`?from=<installed>`), so it includes the skipped version's changes, and its broadening verdict and " +
        "grace period follow from them (a skipped version that broadened permissions makes the next one broadening, " +
        "with the longer grace, for that customer only). `pendingUpdate` and `updateStatus` on an integration carry " +
        "that per-customer summary, verdict and grace end. Changelogs are computed only from template bytes that " +
        "verify against their signed manifest, and cached per version pair.",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: {
        params: VersionParam,
        query: z.object({ from: z.string().max(64).optional(), format: z.enum(["json", "markdown"]).default("json") }),
      },
      responses: {
        200: {
          description: "The changelog, as JSON or Markdown",
          content: { "application/json": { schema: z.unknown() }, "text/markdown": { schema: z.string() } },
        },
        ...readErrors,
      },
    }),
    async (c) => {
      const deps = c.get("deps");
      const { from, format } = c.req.valid("query");
      const target = await Version.get(deps, c.req.valid("param").version);
      const changelog = from
        ? await Publish.changelogBetween(deps, deps.publishing, await Version.get(deps, from), target)
        : target.changelog;
      if (format === "markdown")
        return c.body(renderMarkdown(changelog), 200, { "content-type": "text/markdown; charset=utf-8" });
      return c.json(changelog, 200);
    },
  )
  .openapi(versionAction("/{version}/halt", "Halt a version's rollout (operators)"), async (c) => {
    const { deps, ctx, actor, reason } = await operatorRequest(c);
    const halted = await OperatorControls.haltRollout(deps, ctx, c.req.valid("param").version, actor, reason);
    return c.json(toView(halted), 200);
  })
  .openapi(
    plannedAction("/{version}/resume", "Resume a halted version: waiting runs are woken, the rest planned (operators)"),
    async (c) => {
      const { deps, ctx, actor, reason, budget } = await operatorRequest(c);
      const target = c.req.valid("param").version;
      const { version, plan } = await OperatorControls.resumeRollout(deps, ctx, target, actor, reason, budget);
      return c.json({ ...toView(version), plan: await handOn(deps, version.version, plan) }, 200);
    },
  );

export function toDetail(v: VersionRecord): z.infer<typeof VersionDetail> {
  const manifestBytes = Buffer.from(v.manifest, "base64");
  return {
    ...toView(v),
    manifest: JSON.parse(manifestBytes.toString("utf8")) as Record<string, unknown>,
    signed: {
      manifest: v.manifest,
      signature: v.signature,
      keyId: v.keyId,
      approval:
        v.approval?.keyId && v.approval.signature
          ? { keyId: v.approval.keyId, signature: v.approval.signature }
          : undefined,
    },
    changelog: v.changelog,
  };
}
