import { inputError } from "../error";
import * as z from "../zod-mini";
import { SHARDS, WRITE_SHARDS } from "./write-shards";

/**
 * Reading an index whose partition key carries a write shard (db/write-shards.ts): every shard is
 * queried in parallel, so a read costs `WRITE_SHARDS` queries whatever the amount of data.
 */

export interface ShardPage<T> {
  data: T[];
  cursor: string | null;
}

/** Everything the shards hold for one key: `read` returns one shard's items (all its pages). */
export async function everyShard<T>(read: (shard: number) => Promise<{ data: T[] }>): Promise<T[]> {
  const pages = await Promise.all(SHARDS.map((shard) => read(shard)));
  return pages.flatMap((page) => page.data);
}

/**
 * Sorts by a string compared the way DynamoDB compares the index's sort key (code units of ASCII
 * text, which is what ElectroDB's lower-cased key composites are).
 */
export const byKey =
  <T>(keyOf: (item: T) => string, order: "asc" | "desc" = "asc") =>
  (a: T, b: T): number => {
    const [x, y] = [keyOf(a), keyOf(b)];
    const ascending = x < y ? -1 : x > y ? 1 : 0;
    return order === "asc" ? ascending : -ascending;
  };

const invalidCursor = () =>
  inputError("invalid_cursor", "The cursor is not one this list returned; repeat the request without it");

const parseCursor = <T>(schema: z.core.$ZodType<T>, json: () => string): T => {
  try {
    return z.parse(schema, JSON.parse(json()));
  } catch {
    throw invalidCursor();
  }
};
const fromBase64 = (cursor: string) => () => Buffer.from(cursor, "base64url").toString("utf8");
const toBase64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * Per shard: where its next page starts (null: at its beginning), false once it has no more. Built
 * on use, not at import: the executor imports this module and its bundle stays free of zod.
 */
const shardCursors = () =>
  z
    .array(z.union([z.string().check(z.minLength(1), z.maxLength(4096)), z.null(), z.literal(false)]))
    .check(z.length(WRITE_SHARDS));

/**
 * The next items from every shard that has more, for readers that visit each item once and do not
 * care about order across shards (cancelling or re-scheduling a version's waiting runs). Each call
 * reads one page of about `limit / WRITE_SHARDS` from every unfinished shard; the cursor holds
 * every shard's own position, so an item whose key moves away meanwhile is neither re-read nor
 * skipped in the others.
 */
export async function nextFromEveryShard<T>(
  read: (shard: number, cursor: string | null, limit: number) => Promise<ShardPage<T>>,
  page: { limit: number; cursor: string | null },
): Promise<ShardPage<T>> {
  const { cursor } = page;
  const positions = cursor === null ? SHARDS.map(() => null) : parseCursor(shardCursors(), () => cursor);
  const perShard = Math.max(1, Math.ceil(page.limit / WRITE_SHARDS));
  const pages = await Promise.all(
    positions.map((position, shard) =>
      position === false ? { data: [], cursor: false as const } : read(shard, position, perShard),
    ),
  );
  const next = pages.map((p) => p.cursor ?? (false as const));
  return {
    data: pages.flatMap((p) => p.data),
    // Plain JSON: ElectroDB's cursors are base64url already, and this one travels inside the
    // planner's own cursor (an invocation payload with a size limit), never to a client.
    cursor: next.every((position) => position === false) ? null : JSON.stringify(next),
  };
}

export interface MergedPageQuery<T, P> {
  /** Up to `limit` items of one shard strictly after `after` in the page's order. */
  read: (shard: number, after: P | null, limit: number) => Promise<{ data: T[] }>;
  /** Where an item sits: enough of its sort key composites to continue strictly after it. */
  positionOf: (item: T) => P;
  /** Checks a cursor's position (built per call, for the reason given at `shardCursors`). */
  position: z.core.$ZodType<P>;
  /** The item's index sort key, as DynamoDB orders it (see `byKey`). */
  keyOf: (item: T) => string;
  order: "asc" | "desc";
}

/**
 * One page in the index's own order across every shard, as if the index had one partition.
 * Each shard is asked for `limit + 1` items after the cursor's position, so the merged first
 * `limit` are exactly the next `limit` overall and the one beyond says whether there are more; the
 * cursor is the last item's position (in sort key order, so no item is shown twice or skipped
 * at a shard boundary).
 */
export async function mergedPage<T, P>(
  query: MergedPageQuery<T, P>,
  page: { limit: number; cursor: string | null },
): Promise<{ items: T[]; cursor: string | null }> {
  const after = page.cursor === null ? null : parseCursor(query.position, fromBase64(page.cursor));
  const found = await everyShard((shard) => query.read(shard, after, page.limit + 1));
  const sorted = found.sort(byKey(query.keyOf, query.order));
  const items = sorted.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items,
    cursor: sorted.length > page.limit && last ? toBase64(z.parse(query.position, query.positionOf(last))) : null,
  };
}
