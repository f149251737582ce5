import { createRoute } from "@hono/zod-openapi";
import { Event } from "@stackfleet/core/event";
import { bearerAuth, requestTenant, requireAuth, TenantQuery } from "./auth";
import { router } from "./env";
import { errors, json } from "./openapi";
import { listPage, Page, PageQuery } from "./paging";
import { EventView, toEventView } from "./views";

/** Mounted at /v1/events. */
export const events = router().openapi(
  createRoute({
    method: "get",
    path: "/",
    summary: "The tenant's feed: audit events and notifications across its integrations, newest first",
    tags: ["events"],
    security: bearerAuth,
    middleware: [requireAuth()] as const,
    request: { query: TenantQuery.merge(PageQuery) },
    responses: { 200: json(Page(EventView), "A page of events"), ...errors(400, 401, 403) },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const tenantId = requestTenant(c, query.tenantId);
    const page = await listPage(
      c,
      { route: "tenant-events", tenantId },
      query,
      (p) => Event.byTenant(c.get("deps"), tenantId, p),
      toEventView,
    );
    return c.json(page, 200);
  },
);
