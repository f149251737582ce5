import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { requireOperator as assertOperator, type Principal, tenantScope } from "@stackfleet/core/auth";
import { unauthenticated } from "@stackfleet/core/error";
import type { Context, MiddlewareHandler } from "hono";
import type { ApiEnv } from "./env";
import { ErrorBody } from "./error";

export { actorOf, canAccessTenant, tenantScope } from "@stackfleet/core/auth";

/**
 * Tenant and operator routes: `createRoute({ …, security: bearerAuth, middleware: [requireAuth()] })`,
 * plus `requireOperator()` after it for operator-only actions. Not used on the registration
 * callback, which the customer stack proves with the ExternalId + AssumeRole check instead, nor
 * on /health and the docs.
 */
export const requireAuth = (): MiddlewareHandler<ApiEnv> => async (c, next) => {
  const header = c.req.header("authorization");
  if (!header) {
    c.header("WWW-Authenticate", 'Bearer realm="stackfleet"');
    throw unauthenticated("token_missing", "A bearer token is required (Authorization: Bearer <token>)");
  }
  const match = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  try {
    if (!match?.[1]) throw unauthenticated("token_invalid", "The Authorization header must be `Bearer <token>`");
    c.set("principal", await c.get("deps").auth.verify(match[1]));
  } catch (e) {
    // RFC 6750: tell the client the token itself was the problem.
    c.header("WWW-Authenticate", 'Bearer realm="stackfleet", error="invalid_token"');
    throw e;
  }
  await next();
};

/** Operator-only actions; a tenant-admin gets 403 `operator_required`. Goes after `requireAuth()`. */
export const requireOperator = (): MiddlewareHandler<ApiEnv> => async (c, next) => {
  assertOperator(principalOf(c));
  await next();
};

/** The authenticated caller. A route that forgot `requireAuth()` fails closed here with a 401. */
export function principalOf(c: Context<ApiEnv>): Principal {
  const principal = c.get("principal") as Principal | undefined;
  if (!principal) throw unauthenticated("token_missing", "A bearer token is required");
  return principal;
}

/**
 * The tenant this request acts on (see `tenantScope`): a tenant-admin's own tenant, or the
 * `?tenantId=` an operator names. Tenant-admins may pass their own id or none; another id is a 404.
 */
export const requestTenant = (c: Context<ApiEnv>, requested?: string): string => tenantScope(principalOf(c), requested);

/** The `?tenantId=` routes that operators may call for any tenant accept. */
export const TenantQuery = z.object({
  tenantId: z.string().optional().openapi({
    description: "Operators: the tenant to act on (required). Tenant-admins: omit, or their own tenant id.",
    example: "ten_01JD0000000000000000000000",
  }),
});

/** For `createRoute({ security })`: the route needs `Authorization: Bearer <jwt>`. */
export const bearerAuth = [{ bearer: [] }];

/** For `createRoute({ responses: { …, ...authResponses } })`, so the docs show the auth failures. */
export const authResponses = {
  401: {
    description: "Missing, invalid or expired bearer token",
    content: { "application/json": { schema: ErrorBody } },
  },
  403: { description: "The token's role may not do this", content: { "application/json": { schema: ErrorBody } } },
} as const;

/** Declares the `bearer` scheme that `bearerAuth` refers to, once, on the app. */
export function registerBearerScheme(app: OpenAPIHono<ApiEnv>): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description:
      "An access token from the vendor's identity provider (locally: `npx stackfleet token`), with claims `sub`, `role` (tenant-admin | operator) and, for tenant-admins, `tenant_id`.",
  });
}
