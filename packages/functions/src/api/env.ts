import { OpenAPIHono } from "@hono/zod-openapi";
import { validationHook } from "./error";
import type { Deps } from "@stackfleet/core/context";
import type { JwtVerifier, Principal } from "@stackfleet/core/auth/index";
import type { StackfleetConfig } from "@stackfleet/core/config";
import type { RegistrationContext } from "@stackfleet/core/integration/registration";
import type { PublishContext } from "@stackfleet/core/version/publish";

/** Everything the API's handlers get from outside, set once per request by the app. */
export interface ApiDeps extends Deps {
  tableName: string;
  /** Verifies bearer tokens for `requireAuth()` (auth.ts): the IdP's JWKS in AWS, the dev key locally. */
  auth: JwtVerifier;
  config: StackfleetConfig;
  /** The vendor-side AssumeRole probe behind registration and access checks. */
  access: RegistrationContext;
  /** Signer, template store and pinned keys for publishing (KMS + S3 in AWS; key file + folder locally). */
  publishing: PublishContext;
}

/** `principal` is set by `requireAuth()` only; read it with `principalOf(c)`, which fails closed. */
export type ApiEnv = { Variables: { deps: ApiDeps; principal: Principal } };

/** A route group; every group shares the one validation hook so a bad request is always a 400 body. */
export const router = () => new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
