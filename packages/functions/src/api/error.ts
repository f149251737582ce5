import { z } from "@hono/zod-openapi";
import { isTransient } from "@stackfleet/core/aws/retry";
import { type ErrorKind, isStackfleetError } from "@stackfleet/core/error";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_CODES } from "./error-codes";

/** The one error body every failure has: `{ error: { code, message } }`. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({ example: "invalid_request", description: "Stable; switch on this" }),
      message: z.string().openapi({ example: "body.accountId: must be a 12-digit AWS account id" }),
    }),
  })
  .openapi("Error");

const STATUS: Record<ErrorKind, ContentfulStatusCode> = {
  input: 400,
  auth: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unavailable: 503,
};

export const errorJson = (c: Context, status: ContentfulStatusCode, code: string, message: string) =>
  c.json({ error: { code, message } }, status);

/** zod issues as one readable line: `body.accountId: Invalid string; query.limit: …`. */
export function describeIssues(error: z.ZodError, where: string): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${[where, ...i.path.map(String)].join(".")}: ${i.message}`)
    .join("; ");
}

/** The hook every route uses when its zod validation fails: a 400, nothing touched. */
export const validationHook = (
  result: { success: true } | { success: false; error: z.ZodError; target: string },
  c: Context,
) => {
  if (!result.success)
    return errorJson(
      c,
      400,
      "invalid_request",
      describeIssues(result.error, result.target === "json" ? "body" : result.target),
    );
  return undefined;
};

export interface ErrorLogger {
  error(message: string, details: Record<string, unknown>): void;
}

/** Maps core's error kinds to statuses in one place; anything else is logged and a bare 500. */
export function onError(log: ErrorLogger): ErrorHandler {
  return (err, c) => {
    if (isStackfleetError(err)) return errorJson(c, STATUS[err.kind], err.code, err.message);
    if (err instanceof z.ZodError) return errorJson(c, 400, "invalid_request", describeIssues(err, "request"));
    // Hono throws HTTPException for malformed JSON bodies and the like.
    const status = (err as { status?: unknown }).status;
    // zod-openapi's media-type gate runs after authentication: a body that is not JSON is a 415.
    if (status === 415)
      return errorJson(
        c,
        415,
        "unsupported_media_type",
        "The request body must be JSON (Content-Type: application/json)",
      );
    if (typeof status === "number" && status >= 400 && status < 500) {
      return errorJson(c, status as ContentfulStatusCode, "invalid_request", err.message || "Bad request");
    }
    // DynamoDB (or another service) throttled, timed out or failed past the SDK's own retries:
    // nothing was decided, so the caller may retry — a 503, not an "internal error" (the stack's
    // registration function retries either way, but the customer reads this in the stack events).
    if (transientCause(err)) {
      log.error("store busy", { path: c.req.path, method: c.req.method, error: err.message });
      c.header("Retry-After", "1");
      return errorJson(c, 503, "store_busy", "The store is busy or did not answer in time; retry");
    }
    log.error("unhandled error", { path: c.req.path, method: c.req.method, error: err.message, stack: err.stack });
    return errorJson(c, 500, "internal_error", "Internal error");
  };
}

/** The error or what it wraps (ElectroDB wraps the SDK's error as `cause`) is worth retrying. */
function transientCause(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 3; e = (e as { cause?: unknown }).cause, depth++)
    if (isTransient(e)) return true;
  return false;
}

export const notFoundRoute: NotFoundHandler = (c) =>
  errorJson(c, 404, "route_not_found", `No route for ${c.req.method} ${c.req.path}`);
