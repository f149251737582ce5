import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "@stackfleet/core/auth";
import { Event } from "@stackfleet/core/event";
import { Integration, Registration } from "@stackfleet/core/integration";
import { installLinks } from "@stackfleet/core/integration/install";
import { CreateIntegration } from "@stackfleet/core/integration/integration";
import { integrationDetail } from "@stackfleet/core/integration-status/detail";
import { CustomerControls } from "@stackfleet/core/rollout";
import { stackNameFor } from "@stackfleet/core/template/customer/names";
import { Version } from "@stackfleet/core/version";
import { bearerAuth, principalOf, requestTenant, requireAuth, TenantQuery } from "./auth";
import { classicShape } from "./classic";
import { router } from "./env";
import { UpdateStatusView } from "./fleet";
import { errors, IdParam, json, jsonBody } from "./openapi";
import { listPage, Page, PageQuery } from "./paging";
import { PendingUpdateView, RunView, toRunView } from "./rollout-views";
import { EventView, IntegrationView, toEventView, toIntegrationView } from "./views";
import { withIntegration } from "./with-integration";

const listErrors = errors(400, 401, 403);
const oneErrors = errors(400, 401, 403, 404);
const changeErrors = errors(400, 401, 403, 404, 409, 415);

const InstallView = z
  .object({ version: z.string(), templateUrl: z.string(), quickCreateUrl: z.string() })
  .nullable()
  .openapi("InstallLinks", { description: "How to install the latest published version; null until one is published" });
const IntegrationWithInstall = IntegrationView.extend({ install: InstallView }).openapi("IntegrationWithInstall");
const IntegrationDetail = IntegrationWithInstall.extend({
  updateStatus: UpdateStatusView,
  pendingUpdate: PendingUpdateView,
  history: z.array(RunView).openapi({ description: "Recent update runs, newest first" }),
  recentEvents: z
    .array(EventView)
    .openapi({ description: "The 20 most recent audit events and notifications, newest first (all: /events)" }),
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

/** Mounted at /v1/integrations. */

export const integrations = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/",
      summary: "Connect an AWS account: returns the ExternalId and the quick-create link",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: {
        query: TenantQuery,
        body: jsonBody(z.strictObject(classicShape(CreateIntegration.shape))),
      },
      responses: {
        201: json(IntegrationWithInstall, "Created, pending until the stack registers"),
        ...errors(400, 401, 403, 415),
      },
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
        { pendingDays: deps.pendingDays },
      );
      const install = installLinks(deps.config, created, await Version.latestPublished(deps));
      return c.json({ ...toIntegrationView(created), install }, 201);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "List the tenant's integrations, newest first",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { query: TenantQuery.merge(PageQuery) },
      responses: { 200: json(Page(IntegrationView), "A page of integrations"), ...listErrors },
    }),
    async (c) => {
      const query = c.req.valid("query");
      const tenantId = requestTenant(c, query.tenantId);
      const page = await listPage(
        c,
        { route: "integrations", tenantId },
        query,
        (p) => Integration.list(c.get("deps"), tenantId, p),
        toIntegrationView,
      );
      return c.json(page, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}",
      summary: "One integration: how to install it, its pending update and its update history",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery },
      responses: { 200: json(IntegrationDetail, "The integration"), ...oneErrors },
    }),
    async (c) => {
      const deps = c.get("deps");
      const tenantId = requestTenant(c, c.req.valid("query").tenantId);
      const detail = await integrationDetail(deps, tenantId, c.req.valid("param").id);
      return c.json(
        {
          ...toIntegrationView(detail.integration),
          install: installLinks(deps.config, detail.integration, detail.latestPublished),
          updateStatus: detail.truth.status,
          pendingUpdate: detail.truth.pendingUpdate,
          history: detail.runs.map(toRunView),
          recentEvents: detail.events.map(toEventView),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "patch",
      path: "/{id}",
      summary:
        "Turn auto-update on or off: off cancels waiting updates, on plans the latest version after a fresh grace period",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: {
        params: IdParam,
        query: TenantQuery,
        body: jsonBody(PatchIntegration),
      },
      responses: { 200: json(IntegrationView, "Updated"), ...changeErrors },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const { integration } = await withIntegration(c, async (a) =>
        CustomerControls.setAutoUpdate(
          a.deps,
          await a.rollout(),
          a.integration,
          body.autoUpdate!,
          a.actor,
          body.reason,
        ),
      );
      return c.json(toIntegrationView(integration), 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}",
      summary: "Remove an integration: no further updates (the customer deletes the stack on their side)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery },
      responses: { 200: json(IntegrationView, "Removed"), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const removed = await withIntegration(c, async (a) =>
        CustomerControls.removeIntegration(a.deps, await a.rollout(), a.integration, a.actor),
      );
      return c.json(toIntegrationView(removed), 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{id}/events",
      summary: "The integration's audit trail and notifications, newest first",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery.merge(PageQuery) },
      responses: { 200: json(Page(EventView), "A page of events"), ...oneErrors },
    }),
    async (c) => {
      const deps = c.get("deps");
      const query = c.req.valid("query");
      const found = await Integration.get(deps, requestTenant(c, query.tenantId), c.req.valid("param").id);
      const page = await listPage(
        c,
        { route: "integration-events", tenantId: found.tenantId, filters: { integrationId: found.integrationId } },
        query,
        (p) => Event.byIntegration(deps, found.integrationId, p),
        toEventView,
      );
      return c.json(page, 200);
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/verify",
      summary: "Check access now: AssumeRole must work with the ExternalId and fail without it",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery },
      responses: {
        200: json(AccessCheckView, "The outcome; a lost access is also recorded and notified"),
        ...errors(400, 401, 403, 404, 409, 503),
      },
    }),
    async (c) => {
      const check = await withIntegration(c, (a) =>
        Registration.verifyAccess(a.deps, a.deps.access, a.integration, a.actor),
      );
      return c.json({ ...check, integration: toIntegrationView(check.integration) }, 200);
    },
  );
