import type { MiddlewareHandler } from "hono";
import type { ApiEnv } from "./env";
import { errorJson } from "./error";

/**
 * HTTP semantics the routes share, decided from the app's own route table so a new route gets
 * them for free: 405 with `Allow` for a known path and another method, OPTIONS answered with `Allow` (and a CORS preflight for the configured origins).
 */

interface RouteEntry {
  method: string;
  path: string;
}
interface PathShape {
  pattern: RegExp;
  /** Methods with a handler; HEAD comes with GET (Hono answers it from the GET handler). */
  methods: Set<string>;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const patternOf = (path: string) =>
  new RegExp(
    `^${path
      .split("/")
      .map((s) => (s.startsWith(":") ? "[^/]+" : escapeRegExp(s)))
      .join("/")}$`,
  );

/** Hono's routes, middleware excluded, grouped by path. */
export function pathShapes(routes: RouteEntry[]): PathShape[] {
  const byPath = new Map<string, PathShape>();
  for (const { method, path } of routes) {
    if (method === "ALL") continue;
    const shape = byPath.get(path) ?? { pattern: patternOf(path), methods: new Set() };
    shape.methods.add(method);
    if (method === "GET") shape.methods.add("HEAD");
    byPath.set(path, shape);
  }
  return [...byPath.values()];
}

const allowOf = (shape: PathShape) => [...shape.methods, "OPTIONS"].join(", ");

export interface HttpOptions {
  /** Browser origins (the vendor's dashboard) that may call the API, e.g. `https://app.acme.com`. */
  corsOrigins: readonly string[];
}

/** The middleware; `shapes` is read on the first request, once every route is registered. */
export function httpSemantics(shapes: () => PathShape[], options: HttpOptions): MiddlewareHandler<ApiEnv> {
  let table: PathShape[] | undefined;
  const origins = new Set(options.corsOrigins);
  return async (c, next) => {
    table ??= shapes();
    const path = c.req.path;
    const shape = table.find((s) => s.pattern.test(path));
    const origin = c.req.header("origin");
    const allowedOrigin = origin !== undefined && origins.has(origin) ? origin : undefined;
    const withCors = (res: Response) => {
      res.headers.append("Vary", "Origin");
      if (!allowedOrigin) return res;
      res.headers.set("Access-Control-Allow-Origin", allowedOrigin);
      res.headers.set("Access-Control-Expose-Headers", "Allow, WWW-Authenticate, Retry-After");
      return res;
    };
    if (!shape) {
      await next();
      return;
    }
    if (c.req.method === "OPTIONS") {
      const res = withCors(new Response(null, { status: 204, headers: { Allow: allowOf(shape) } }));
      if (allowedOrigin && c.req.header("access-control-request-method")) {
        res.headers.set("Access-Control-Allow-Methods", [...shape.methods].join(", "));
        res.headers.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        res.headers.set("Access-Control-Max-Age", "600");
      }
      return res;
    }
    if (!shape.methods.has(c.req.method)) {
      c.header("Allow", allowOf(shape));
      return withCors(errorJson(c, 405, "method_not_allowed", `${c.req.method} is not allowed on ${path}`));
    }
    await next();
    withCors(c.res);
  };
}
