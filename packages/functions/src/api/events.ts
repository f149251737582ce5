import { createRoute, type z } from "@hono/zod-openapi";
import { Event } from "@stackfleet/core/event";
import { authResponses, bearerAuth, requestTenant, requireAuth, TenantQuery } from "./auth";
import { router } from "./env";
import { ErrorBody } from "./error";
import { EventView, Page, PageQuery, toEventView } from "./views";

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const events = router().openapi(
  createRoute({
    method: "get",
    path: "/v1/events",
    summary: "The tenant's feed: audit events and notifications across its integrations, newest first",
    tags: ["events"],
    security: bearerAuth,
    middleware: [requireAuth()] as const,
    request: { query: TenantQuery.merge(PageQuery) },
    responses: {
      200: json(Page(EventView), "A page of events"),
      ...authResponses,
      400: json(ErrorBody, "Invalid request"),
    },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const page = await Event.byTenant(c.get("deps"), requestTenant(c, query.tenantId), query);
    return c.json({ items: page.items.map(toEventView), cursor: page.cursor }, 200);
  },
);
