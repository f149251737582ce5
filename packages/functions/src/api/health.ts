import { createRoute, z } from "@hono/zod-openapi";
import { checkStore } from "@stackfleet/core/health";
import { router } from "./env";
import { errorJson } from "./error";
import { errors, json } from "./openapi";

/** Unauthenticated, so it names nothing internal: no table, no account, no cause. */
const Health = z
  .object({
    status: z.literal("ok"),
    store: z.object({ reachable: z.literal(true) }),
    time: z.string().openapi({ example: "2026-11-21T12:00:00.000Z" }),
  })
  .openapi("Health");

export const health = router().openapi(
  createRoute({
    method: "get",
    path: "/health",
    summary: "Liveness and store reachability",
    tags: ["health"],
    responses: {
      200: json(Health, "The API is up and its store answers"),
      ...errors(503),
    },
  }),
  async (c) => {
    const deps = c.get("deps");
    const store = await checkStore(deps);
    if (!store.reachable) {
      // The cause goes to the log, not to the caller.
      console.error(JSON.stringify({ level: "error", message: "health: store did not answer", error: store.cause }));
      return errorJson(c, 503, "store_unreachable", "The store did not answer");
    }
    return c.json({ status: "ok" as const, store: { reachable: true as const }, time: deps.now().toISOString() }, 200);
  },
);
