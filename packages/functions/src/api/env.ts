import { OpenAPIHono } from "@hono/zod-openapi";
import { validationHook } from "./error";
import type { Deps } from "@stackfleet/core/context";

/** Everything the API's handlers get from outside, set once per request by the app. */
export interface ApiDeps extends Deps {
  tableName: string;
}

export type ApiEnv = { Variables: { deps: ApiDeps } };

/** A route group; every group shares the one validation hook so a bad request is always a 400 body. */
export const router = () => new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
