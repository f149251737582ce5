import { createRoute, z } from "@hono/zod-openapi";
import { router } from "./env";
import { ErrorBody } from "./error";

const Health = z
  .object({
    status: z.literal("ok"),
    store: z.object({ reachable: z.literal(true), table: z.string() }),
    time: z.string(),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness and store reachability",
  tags: ["health"],
  responses: {
    200: { description: "The API is up and its table answers", content: { "application/json": { schema: Health } } },
    503: { description: "The table does not answer", content: { "application/json": { schema: ErrorBody } } },
  },
});

export const health = router().openapi(route, async (c) => {
  const deps = c.get("deps");
  try {
    // A real read of the control item: proves the table exists and credentials work.
    await deps.service.entities.control.get({ name: "global" }).go();
  } catch (e) {
    // Unauthenticated route: the cause goes to the log, not to the caller.
    console.error(
      JSON.stringify({
        level: "error",
        message: "health: table did not answer",
        table: deps.tableName,
        error: (e as Error).message,
      }),
    );
    return c.json({ error: { code: "store_unreachable", message: "The store did not answer" } }, 503);
  }
  return c.json(
    {
      status: "ok" as const,
      store: { reachable: true as const, table: deps.tableName },
      time: deps.now().toISOString(),
    },
    200,
  );
});
