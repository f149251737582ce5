import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "@stackfleet/core/auth";
import { Event } from "@stackfleet/core/event";
import { Integration, Registration } from "@stackfleet/core/integration";
import { installLinks } from "@stackfleet/core/integration/install";
import { CreateIntegration } from "@stackfleet/core/integration/integration";
import { CustomerControls, pendingUpdate } from "@stackfleet/core/rollout";
import { Run } from "@stackfleet/core/run";
import { stackNameFor } from "@stackfleet/core/template/customer/names";
import { Version } from "@stackfleet/core/version";
import { authResponses, bearerAuth, principalOf, requestTenant, requireAuth, TenantQuery } from "./auth";
import { router } from "./env";
import { ErrorBody } from "./error";
import { deliverNotifications, rolloutContext } from "./rollout-context";
import { PendingUpdateView, RunView, toRunView } from "./rollout-views";
import { EventView, IntegrationView, Page, PageQuery, toEventView, toIntegrationView } from "./views";

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const errors = {
  ...authResponses,
  400: json(ErrorBody, "Invalid request"),
  404: json(ErrorBody, "No such integration for this tenant"),
  409: json(ErrorBody, "Conflicts with the integration's state"),
};

const IdParam = z.object({
  id: z
    .string()
    .regex(/^int_[0-9A-HJKMNP-TV-Z]{26}$/, "must be an integration id")
    .openapi({ param: { name: "id", in: "path" } }),
});

const InstallView = z
  .object({ version: z.string(), templateUrl: z.string(), quickCreateUrl: z.string() })
  .nullable()
  .openapi("InstallLinks", { description: "How to install the latest published version; null until one is published" });
const IntegrationWithInstall = IntegrationView.extend({ install: InstallView }).openapi("IntegrationWithInstall");
const IntegrationDetail = IntegrationWithInstall.extend({
  pendingUpdate: PendingUpdateView,
  history: z.array(RunView).openapi({ description: "Recent update runs, newest first" }),
}).openapi("IntegrationDetail");

const AccessCheckView = z
  .object({
    access: z.enum(["ok", "lost"]),
    status: IntegrationView.shape.status,
    reason: z.string().optional(),
    integration: IntegrationView,
  })
  .openapi("AccessCheck");

const PatchIntegration = z
  .strictObject({
    autoUpdate: z.boolean().optional(),
    reason: z.string().max(500).optional().openapi({ description: "Recorded on the audit event" }),
  })
  .refine((b) => b.autoUpdate !== undefined, "nothing to change");

const tags = ["integrations"];

export const integrations = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/integrations",
      summary: "Connect an AWS account: returns the ExternalId and the quick-create link",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: {
        query: TenantQuery,
        body: { required: true, content: { "application/json": { schema: CreateIntegration } } },
      },
      responses: { 201: json(IntegrationWithInstall, "Created, pending until the stack registers"), ...errors },
    }),
    async (c) => {
      const deps = c.get("deps");
      const tenantId = requestTenant(c, c.req.valid("query").tenantId);
      const created = await Integration.create(
        deps,
        tenantId,
        stackNameFor(deps.config.stackPrefix),
        c.req.valid("json"),
        actorOf(principalOf(c)),
      );
      const install = installLinks(deps.config, created, await Version.latestPublished(deps));
      return c.json({ ...toIntegrationView(created), install }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations",
      summary: "List the tenant's integrations, newest first",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { query: TenantQuery.merge(PageQuery) },
      responses: { 200: json(Page(IntegrationView), "A page of integrations"), ...errors },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const page = await Integration.list(c.get("deps"), requestTenant(c, query.tenantId), query);
      return c.json({ items: page.items.map(toIntegrationView), cursor: page.cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/{id}",
      summary: "One integration: how to install it, its pending update and its update history",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery },
      responses: { 200: json(IntegrationDetail, "The integration"), ...errors },
    }),
    async (c) => {
      const deps = c.get("deps");
      const found = await Integration.get(
        deps,
        requestTenant(c, c.req.valid("query").tenantId),
        c.req.valid("param").id,
      );
      const [latest, pending, history] = await Promise.all([
        Version.latestPublished(deps),
        pendingUpdate(deps, found.integrationId),
        Run.byIntegration(deps, found.integrationId, 20),
      ]);
      return c.json(
        {
          ...toIntegrationView(found),
          install: installLinks(deps.config, found, latest),
          pendingUpdate: pending,
          history: history.map(toRunView),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/v1/integrations/{id}",
      summary:
        "Turn auto-update on or off: off cancels waiting updates, on plans the latest version after a fresh grace period",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: {
        params: IdParam,
        query: TenantQuery,
        body: { required: true, content: { "application/json": { schema: PatchIntegration } } },
      },
      responses: { 200: json(IntegrationView, "Updated"), ...errors },
    }),
    async (c) => {
      const deps = c.get("deps");
      const body = c.req.valid("json");
      const found = await Integration.get(
        deps,
        requestTenant(c, c.req.valid("query").tenantId),
        c.req.valid("param").id,
      );
      const { integration } = await CustomerControls.setAutoUpdate(
        deps,
        await rolloutContext(deps),
        found,
        body.autoUpdate!,
        actorOf(principalOf(c)),
        body.reason,
      );
      await deliverNotifications(c, found.integrationId);
      return c.json(toIntegrationView(integration), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/v1/integrations/{id}",
      summary: "Remove an integration: no further updates (the customer deletes the stack on their side)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery },
      responses: { 200: json(IntegrationView, "Removed"), ...errors },
    }),
    async (c) => {
      const deps = c.get("deps");
      const found = await Integration.get(
        deps,
        requestTenant(c, c.req.valid("query").tenantId),
        c.req.valid("param").id,
      );
      const removed = await CustomerControls.removeIntegration(
        deps,
        await rolloutContext(deps),
        found,
        actorOf(principalOf(c)),
      );
      await deliverNotifications(c, found.integrationId);
      return c.json(toIntegrationView(removed), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/integrations/{id}/events",
      summary: "The integration's audit trail and notifications, newest first",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery.merge(PageQuery) },
      responses: { 200: json(Page(EventView), "A page of events"), ...errors },
    }),
    async (c) => {
      const deps = c.get("deps");
      const query = c.req.valid("query");
      const found = await Integration.get(deps, requestTenant(c, query.tenantId), c.req.valid("param").id);
      const page = await Event.byIntegration(deps, found.integrationId, query);
      return c.json({ items: page.items.map(toEventView), cursor: page.cursor }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/integrations/{id}/verify",
      summary: "Check access now: AssumeRole must work with the ExternalId and fail without it",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery },
      responses: {
        200: json(AccessCheckView, "The outcome; a lost access is also recorded and notified"),
        ...errors,
        503: json(ErrorBody, "STS did not answer"),
      },
    }),
    async (c) => {
      const deps = c.get("deps");
      const found = await Integration.get(
        deps,
        requestTenant(c, c.req.valid("query").tenantId),
        c.req.valid("param").id,
      );
      const check = await Registration.verifyAccess(deps, deps.access, found, actorOf(principalOf(c)));
      await deliverNotifications(c, found.integrationId);
      return c.json({ ...check, integration: toIntegrationView(check.integration) }, 200);
    },
  );
