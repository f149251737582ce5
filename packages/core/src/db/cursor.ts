import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import * as z from "zod";
import { inputError } from "../error";

/**
 * Page cursors as clients see them: opaque, versioned and bound to the query that issued them.
 *
 * ElectroDB's own cursor is its LastEvaluatedKey in base64url: handed back unchecked, a client
 * could start a query in another tenant's partition or make DynamoDB reject the key (a 500). So
 * the API wraps it: `base64url(JSON { v, k }) "." base64url(HMAC-SHA256(key, scope ␀ payload))`,
 * where the scope names the route, the tenant and the filters. Any other string, or a cursor
 * from another tenant, route or key, is a 400 `invalid_cursor` — nothing reaches the table.
 */

/** What a cursor carries: the format version and ElectroDB's cursor. */
const Payload = z.strictObject({ v: z.literal(1), k: z.string().min(1).max(2048) });
/** Payload ≤ ~2.8 KB of base64url, then a 32-byte MAC (43 characters unpadded). */
const Token = z.string().regex(/^[A-Za-z0-9_-]{1,2800}\.[A-Za-z0-9_-]{43}$/);

/** The query a cursor belongs to. Filters are compared as a whole: any difference refuses it. */
export interface CursorScope {
  route: string;
  tenantId: string;
  filters?: Record<string, string | undefined>;
}

/** 32 random bytes. A key generated per process invalidates cursors across processes and restarts. */
export const newCursorKey = (): Uint8Array => randomBytes(32);

const invalid = () =>
  inputError("invalid_cursor", "The cursor is not one this list returned; repeat the request without it");

const scopeText = (scope: CursorScope): string =>
  JSON.stringify([
    scope.route,
    scope.tenantId,
    Object.entries(scope.filters ?? {})
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  ]);

const mac = (key: Uint8Array, scope: CursorScope, payload: string): Buffer =>
  createHmac("sha256", key).update(scopeText(scope)).update("\0").update(payload).digest();

/** Wraps ElectroDB's cursor for the client; null (the last page) stays null. */
export function seal(key: Uint8Array, scope: CursorScope, inner: string | null): string | null {
  if (inner === null) return null;
  const payload = Buffer.from(JSON.stringify(Payload.parse({ v: 1, k: inner }))).toString("base64url");
  return `${payload}.${mac(key, scope, payload).toString("base64url")}`;
}

/** ElectroDB's cursor inside a client's cursor, or a 400 `invalid_cursor`; no cursor is the first page. */
export function open(key: Uint8Array, scope: CursorScope, token: string | undefined): string | null {
  if (token === undefined) return null;
  const parsed = Token.safeParse(token);
  if (!parsed.success) throw invalid();
  const [payload = "", signature = ""] = parsed.data.split(".");
  // Compared as text, not decoded bytes: base64url's last character carries padding bits, so two
  // spellings decode alike and a cursor would have more than one accepted form.
  const given = Buffer.from(signature);
  const expected = Buffer.from(mac(key, scope, payload).toString("base64url"));
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
  try {
    return Payload.parse(JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))).k;
  } catch {
    // Only reachable with our own key; still never a 500.
    throw invalid();
  }
}
