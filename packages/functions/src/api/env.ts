import { OpenAPIHono } from "@hono/zod-openapi";
import type { JwtVerifier, Principal } from "@stackfleet/core/auth";
import type { StackfleetConfig } from "@stackfleet/core/config";
import type { Deps } from "@stackfleet/core/context";
import type { RegistrationContext } from "@stackfleet/core/integration/registration";
import type { Notifier } from "@stackfleet/core/notify";
import type { RunScheduler } from "@stackfleet/core/schedule";
import type { PublishContext } from "@stackfleet/core/version/publish";
import { validationHook } from "./error";

/** Rollout planning as the API runs it (core's `RolloutContext` is what one planning call gets). */
export interface Planner {
  /** Schedules in the updater stage's group (EventBridge Scheduler in AWS, the sandbox locally). */
  scheduler: RunScheduler;
  /** Customer notifications: the SNS topic in AWS, a log locally. */
  notifier: Notifier;
  /** Planning done inside a request before the rest is handed off (API Gateway gives up at 29 s). */
  planBudgetMs: number;
  /** Continues a plan that ran out of budget: the planner function in AWS, a background loop locally. */
  continuePlanning(version: string, cursor: string): Promise<void>;
  /** Planning shards worked on at once (default: all of them). */
  planConcurrency?: number;
}

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
  rollout: Planner;
  /**
   * HMAC key binding page cursors to their tenant and query (core/db/cursor.ts). Unset, the app
   * generates one per process: fine locally, but Lambda instances then refuse each other's
   * cursors (400 invalid_cursor), so deployments should pass a shared secret.
   */
  cursorKey?: Uint8Array;
  /** Days a created integration waits for its stack to register (default 7). */
  pendingDays?: number;
}

/** `principal` is set by `requireAuth()` only; read it with `principalOf(c)`, which fails closed. */
export type ApiEnv = { Variables: { deps: ApiDeps; principal: Principal } };

/** A route group; every group shares the one validation hook so a bad request is always a 400 body. */
export const router = () => new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
