import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "@stackfleet/core/auth";
import { renderMarkdown } from "@stackfleet/core/changelog";
import { OperatorControls, type PlanResult } from "@stackfleet/core/rollout";
import { Halts, Publish, Version } from "@stackfleet/core/version";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { authResponses, bearerAuth, principalOf, requireAuth, requireOperator } from "./auth";
import { type ApiDeps, router } from "./env";
import { ErrorBody } from "./error";
import { rolloutContext, startPlanning } from "./rollout-context";
import { PlanView } from "./rollout-views";
import { Page, PageQuery } from "./views";

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const errors = {
  ...authResponses,
  400: json(ErrorBody, "Invalid request"),
  404: json(ErrorBody, "No such version"),
  409: json(ErrorBody, "Conflicts with the version's state"),
};
const tags = ["versions"];

const VersionParam = z.object({
  version: z
    .string()
    .max(64)
    .openapi({ param: { name: "version", in: "path" }, example: "1.2.0" }),
});

export const VersionView = z
  .object({
    version: z.string(),
    sequence: z.number(),
    state: z.enum(["published", "halted", "withdrawn"]),
    stateReason: z.string().optional(),
    graceEndsAt: z.string(),
    permissionsBroadened: z.boolean(),
    approvalRequired: z.boolean(),
    approvedBy: z.string().optional(),
    changelogSummary: z.string().optional(),
    template: z.object({ sha256: z.string(), size: z.number(), location: z.string() }),
    publishedBy: z.string(),
    createdAt: z.string(),
  })
  .openapi("Version");

const VersionDetail = VersionView.extend({
  manifest: z.record(z.string(), z.unknown()).openapi({ description: "The signed manifest, decoded" }),
  signed: z
    .object({ manifest: z.string(), signature: z.string(), keyId: z.string() })
    .openapi({ description: "Exact signed bytes and DER signature, base64" }),
  changelog: z
    .unknown()
    .openapi({ description: "Changelog against the previous version (schemaVersion 1, see README)" }),
}).openapi("VersionDetail");

const toView = (v: VersionRecord): z.infer<typeof VersionView> => ({
  version: v.version,
  sequence: v.sequence,
  state: v.state,
  stateReason: v.stateReason,
  graceEndsAt: v.graceEndsAt,
  permissionsBroadened: v.permissionsBroadened,
  approvalRequired: v.approvalRequired,
  approvedBy: v.approvedBy,
  changelogSummary: v.changelogSummary,
  template: { sha256: v.templateSha256, size: v.templateSize, location: v.templateLocation },
  publishedBy: v.publishedBy,
  createdAt: v.createdAt,
});

const PublishBody = z
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
    allowTransforms: z.boolean().optional(),
    allowNestedStacks: z.boolean().optional(),
  })
  .openapi("PublishVersion");

const Published = VersionDetail.extend({
  plan: PlanView.nullable().openapi({
    description: "null while the version awaits approval: it is planned when approved",
  }),
}).openapi("PublishedVersion");
const Planned = VersionView.extend({ plan: PlanView.nullable() }).openapi("PlannedVersion");

const ControlView = z
  .object({
    halted: z.boolean(),
    reason: z.string().optional(),
    changedBy: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .openapi("GlobalControl");
const ReasonBody = z.strictObject({ reason: z.string().max(500).optional() });
const optionalReason = { body: { required: false, content: { "application/json": { schema: ReasonBody } } } } as const;
const reasonOf = async (c: { req: { text(): Promise<string> } }) => {
  const text = await c.req.text();
  return text ? ReasonBody.parse(JSON.parse(text)).reason : undefined;
};

const versionAction = <P extends string>(path: P, summary: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    tags,
    security: bearerAuth,
    middleware: [requireAuth(), requireOperator()] as const,
    request: { params: VersionParam, ...optionalReason },
    responses: { 200: json(VersionView, "Done"), ...errors },
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
    responses: { 200: json(Planned, "Done; `plan` is null when the version may not roll out yet"), ...errors },
  });
const controlAction = <P extends string>(path: P, summary: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    tags: ["controls"],
    security: bearerAuth,
    middleware: [requireAuth(), requireOperator()] as const,
    request: optionalReason,
    responses: { 200: json(ControlView, "Done"), ...errors },
  });

/** A resume's first batch as the response shows it; the rest continues the way a plan does. */
async function handOn(deps: ApiDeps, version: string, { cursor, ...plan }: PlanResult) {
  if (cursor) await deps.rollout.continuePlanning(version, cursor);
  return { ...plan, continuing: cursor !== null };
}

/** Plans a version that may roll out now: published and, when it needs approval, approved. */
async function planIfReady(deps: ApiDeps, version: VersionRecord) {
  if (version.state !== "published" || (version.approvalRequired && !version.approvedBy)) return null;
  return startPlanning(deps, version);
}

export const versions = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/versions",
      summary: "Publish a template version (operators): verify, sign, store, changelog",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { body: { required: true, content: { "application/json": { schema: PublishBody } } } },
      responses: { 201: json(Published, "Published, and its rollout planned unless it awaits approval"), ...errors },
    }),
    async (c) => {
      const deps = c.get("deps");
      const body = c.req.valid("json");
      const published = await Publish.publish(
        deps,
        deps.publishing,
        {
          templateBytes: new TextEncoder().encode(body.template),
          version: body.version,
          minFromVersion: body.minFromVersion,
          parameters: body.parameters,
          allow: { allowTransforms: body.allowTransforms, allowNestedStacks: body.allowNestedStacks },
        },
        actorOf(principalOf(c)),
      );
      // A version awaiting approval is planned when an operator approves it.
      const plan = published.approvalRequired ? null : await startPlanning(deps, published);
      return c.json({ ...toDetail(published), plan }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/versions",
      summary: "Published versions, latest first",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { query: PageQuery },
      responses: { 200: json(Page(VersionView), "A page of versions"), ...errors },
    }),
    async (c) => {
      const page = await Version.list(c.get("deps"), c.req.valid("query"));
      return c.json({ items: page.items.map(toView), cursor: page.cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/versions/{version}",
      summary: "A version: manifest, signature, changelog, grace end, state",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: VersionParam },
      responses: { 200: json(VersionDetail, "The version"), ...errors },
    }),
    async (c) => c.json(toDetail(await Version.get(c.get("deps"), c.req.valid("param").version)), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/versions/{version}/changelog",
      summary: "What changes from another version (default: the previous one) to this one",
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
        ...errors,
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
  .openapi(versionAction("/v1/versions/{version}/halt", "Halt a version's rollout (operators)"), async (c) => {
    const deps = c.get("deps");
    const halted = await OperatorControls.haltRollout(
      deps,
      await rolloutContext(deps),
      c.req.valid("param").version,
      actorOf(principalOf(c)),
      await reasonOf(c),
    );
    return c.json(toView(halted), 200);
  })
  .openapi(
    plannedAction(
      "/v1/versions/{version}/resume",
      "Resume a halted version: waiting runs are woken, the rest planned (operators)",
    ),
    async (c) => {
      const deps = c.get("deps");
      const { version, plan } = await OperatorControls.resumeRollout(
        deps,
        await rolloutContext(deps),
        c.req.valid("param").version,
        actorOf(principalOf(c)),
        await reasonOf(c),
        { budgetMs: deps.rollout.planBudgetMs },
      );
      return c.json({ ...toView(version), plan: await handOn(deps, version.version, plan) }, 200);
    },
  )
  .openapi(
    plannedAction(
      "/v1/versions/{version}/approve",
      "Approve a version that broadens permissions, and plan its rollout (operators)",
    ),
    async (c) => {
      const deps = c.get("deps");
      const approved = await Halts.approveVersion(deps, c.req.valid("param").version, actorOf(principalOf(c)));
      return c.json({ ...toView(approved), plan: await planIfReady(deps, approved) }, 200);
    },
  )
  .openapi(controlAction("/v1/controls/halt", "Halt every rollout: the global kill switch (operators)"), async (c) => {
    const deps = c.get("deps");
    return c.json(
      await OperatorControls.haltEverything(
        deps,
        await rolloutContext(deps),
        actorOf(principalOf(c)),
        await reasonOf(c),
      ),
      200,
    );
  })
  .openapi(
    controlAction("/v1/controls/resume", "Lift the global halt; waiting runs are woken (operators)"),
    async (c) => {
      const deps = c.get("deps");
      const { control, plans } = await OperatorControls.resumeEverything(
        deps,
        await rolloutContext(deps),
        actorOf(principalOf(c)),
        await reasonOf(c),
        { budgetMs: deps.rollout.planBudgetMs },
      );
      for (const { version, plan } of plans) await handOn(deps, version, plan);
      return c.json(control, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/controls",
      summary: "The global control (operators)",
      tags: ["controls"],
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      responses: { 200: json(ControlView, "The global halt flag"), ...errors },
    }),
    async (c) => c.json(await Halts.globalControl(c.get("deps")), 200),
  );

function toDetail(v: VersionRecord): z.infer<typeof VersionDetail> {
  const manifestBytes = Buffer.from(v.manifest, "base64");
  return {
    ...toView(v),
    manifest: JSON.parse(manifestBytes.toString("utf8")) as Record<string, unknown>,
    signed: { manifest: v.manifest, signature: v.signature, keyId: v.keyId },
    changelog: v.changelog,
  };
}
