import { createRoute, z } from "@hono/zod-openapi";
import * as Fleet from "@stackfleet/core/fleet/fleet";
import { FleetFilter } from "@stackfleet/core/fleet/fleet";
import { bearerAuth, requireAuth, requireOperator } from "./auth";
import { router } from "./env";
import { errors, json, VersionParam } from "./openapi";
import { listPage, Page, PageQuery } from "./paging";
import { RunView, toRunView } from "./rollout-views";
import { EventView, IntegrationView, toEventView, toIntegrationView } from "./views";

const tags = ["fleet"];
const readErrors = errors(400, 401, 403, 404);
/** Fleet views are the operators' own: cursors are bound to the operator scope, not a tenant. */
const OPERATORS = "operators";

export const UpdateStatusView = z
  .object({ state: FleetFilter.shape.status.unwrap() })
  .catchall(z.unknown())
  .openapi("UpdateStatus", {
    description:
      "One state the dashboard shows as is: `up_to_date`, `update_available` (a newer version not yet planned for it), `update_scheduled` (version, scheduledFor, " +
      "changelogSummary), `paused` (version, halt: version|global|approval, reason), `waiting_for_window`, " +
      "`opted_out` (via: in_stack|via_api), `skipped` (version), `access_lost`, `updating` (version, runId), " +
      "`failed` (version, reason, nextAttemptAt), `not_connected` (pending or removed).",
  });

const FleetIntegrationView = IntegrationView.extend({ updateStatus: UpdateStatusView }).openapi("FleetIntegration");
const TenantView = z
  .object({
    tenantId: z.string(),
    integrations: z.number(),
    byAccess: z.record(z.string(), z.number()),
    versions: z.record(z.string(), z.number()),
    firstConnectedAt: z.string(),
  })
  .openapi("FleetTenant");
const VersionShareView = z
  .object({ version: z.string(), state: z.string().nullable(), integrations: z.number() })
  .openapi("VersionShare");

export const fleet = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/tenants",
      summary: "Tenants, derived from their integrations (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      responses: {
        200: json(z.object({ items: z.array(TenantView) }), "Every tenant with integrations"),
        ...readErrors,
      },
    }),
    async (c) => c.json({ items: await Fleet.tenants(c.get("deps")) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/integrations",
      summary: "Integrations across tenants, by derived status, installed version, access or tenant (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { query: PageQuery.extend(FleetFilter.shape) },
      responses: { 200: json(Page(FleetIntegrationView), "A page of integrations, by id"), ...readErrors },
    }),
    async (c) => {
      const { limit, cursor, ...filter } = c.req.valid("query");
      const page = await listPage(
        c,
        { route: "fleet.integrations", tenantId: OPERATORS, filters: filter },
        { limit, cursor },
        (p) => Fleet.integrations(c.get("deps"), filter, p),
        (i) => ({ ...toIntegrationView(i.integration), updateStatus: i.status }),
      );
      return c.json(page, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/versions",
      summary: "How many integrations run each version (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      responses: { 200: json(z.object({ items: z.array(VersionShareView) }), "Newest version first"), ...readErrors },
    }),
    async (c) => c.json({ items: await Fleet.versionDistribution(c.get("deps")) }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/versions/{version}/runs",
      summary: "Every run of a version across tenants, every attempt (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { params: VersionParam, query: PageQuery },
      responses: {
        200: json(Page(RunView.extend({ integrationId: z.string(), tenantId: z.string() })), "Runs"),
        ...readErrors,
      },
    }),
    async (c) => {
      const { version } = c.req.valid("param");
      const page = await listPage(
        c,
        { route: "fleet.runs", tenantId: OPERATORS, filters: { version } },
        c.req.valid("query"),
        (p) => Fleet.runHistory(c.get("deps"), version, p),
        (r) => ({ ...toRunView(r), integrationId: r.integrationId, tenantId: r.tenantId }),
      );
      return c.json(page, 200);
    },
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/audit",
      summary:
        "Operator audit: who published, halted, resumed, approved or changed policy, and when; quarantines (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { query: PageQuery },
      responses: { 200: json(Page(EventView), "Newest first"), ...readErrors },
    }),
    async (c) => {
      const page = await listPage(
        c,
        { route: "fleet.audit", tenantId: OPERATORS },
        c.req.valid("query"),
        (p) => Fleet.operatorAudit(c.get("deps"), p),
        toEventView,
      );
      return c.json(page, 200);
    },
  );
