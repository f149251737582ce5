import { z } from "@hono/zod-openapi";
import { type CursorScope, open, seal } from "@stackfleet/core/db/cursor";
import type { Context } from "hono";
import type { ApiEnv } from "./env";

export const Page = <T extends z.ZodTypeAny>(item: T) =>
  z.object({
    items: z.array(item),
    cursor: z.string().nullable().openapi({
      description: "Pass as `?cursor=` for the next page (same route, tenant and filters); null on the last page",
    }),
  });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional().openapi({ description: "Page size (default 50)" }),
  cursor: z
    .string()
    .max(4096)
    .optional()
    .openapi({ description: "The `cursor` of the previous page; anything else is a 400 `invalid_cursor`" }),
});

type Fetch<T> = (page: { limit?: number; cursor: string | null }) => Promise<{ items: T[]; cursor: string | null }>;

/**
 * One page of a list route: the client's cursor is opened for exactly this scope (a forged,
 * foreign or stale one is a 400 before the table is read) and the next one sealed for it.
 */
export async function listPage<T, V>(
  c: Context<ApiEnv>,
  scope: CursorScope,
  query: z.infer<typeof PageQuery>,
  fetch: Fetch<T>,
  view: (item: T) => V,
): Promise<{ items: V[]; cursor: string | null }> {
  const key = c.get("deps").cursorKey;
  // createApp always sets one; a missing key is a wiring bug, not the client's.
  if (!key) throw new Error("cursorKey is not set: build the app with createApp");
  const page = await fetch({ limit: query.limit, cursor: open(key, scope, query.cursor) });
  return { items: page.items.map(view), cursor: seal(key, scope, page.cursor) };
}
