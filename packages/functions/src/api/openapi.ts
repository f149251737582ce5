import { type OpenAPIHono, z } from "@hono/zod-openapi";
import { RolloutPolicy } from "@stackfleet/core/rollout";
import { classicShape } from "./classic";
import type { ApiEnv } from "./env";
import { ErrorBody } from "./error";

/** The building blocks every route file shares, so a route reads as what it does. */

/** A JSON response (or request body content) with its description. */
export const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** A required JSON request body. */
export const jsonBody = <T extends z.ZodTypeAny>(schema: T) =>
  ({ required: true, content: { "application/json": { schema } } }) as const;

/**
 * Every failure has the same body, so the document has one `Error` response that each route
 * refers to under the statuses it can answer; `error.code` (an enumeration) says why.
 */
const errorRef = { $ref: "#/components/responses/Error" } as const;
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 415 | 429 | 503;
export const errors = <S extends ErrorStatus>(...statuses: S[]) =>
  Object.fromEntries(statuses.map((s) => [s, errorRef])) as Record<S, typeof errorRef>;

/** Declares the shared `Error` response once, on the app. */
export function registerErrorResponse(app: OpenAPIHono<ApiEnv>): void {
  app.openAPIRegistry.registerComponent("responses", "Error", {
    description:
      "The request was refused or failed; nothing was changed. `error.code` is stable, `error.message` is for people.",
    content: {
      "application/json": {
        schema: { $ref: "#/components/schemas/Error" },
        example: { error: { code: "integration_not_found", message: "No such integration" } },
      },
    },
  });
  // Routes name the schema only through the response above, so it is registered by hand.
  app.openAPIRegistry.register("Error", ErrorBody);
}

/** `{id}`: an integration id (a prefixed ULID). */
export const IntegrationId = z
  .string()
  .regex(/^int_[0-9A-HJKMNP-TV-Z]{26}$/, "must be an integration id")
  .openapi({ example: "int_01JD5Y3M5QK3T3G1ZJ3N4Q2X8V" });
export const IdParam = z.object({ id: IntegrationId.openapi({ param: { name: "id", in: "path" } }) });

/** A semantic version such as 1.2.3, as publishing and the customer controls accept it. */
export const Semver = z
  .string()
  .max(64)
  .regex(/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/, "must be a semantic version like 1.2.3")
  .openapi({ example: "1.2.0" });
export const VersionParam = z.object({ version: Semver.openapi({ param: { name: "version", in: "path" } }) });

/**
 * Core's rollout policy, as the docs show it; the same definition validates it. Core builds it with
 * zod's mini API (the executor's bundle budget), which the generator cannot read: `classicShape`
 * makes classic copies of its fields, here, after `@hono/zod-openapi` has extended zod.
 */
export const RolloutPolicyDoc = z.strictObject(classicShape(RolloutPolicy.shape)).openapi("RolloutPolicy", {
  description: "StackSets-style preferences with a canary in front; applies to rollouts planned from now on",
  example: {
    canary: { percentage: 5 },
    coolingOffHours: 24,
    maxConcurrent: { percentage: 10 },
    failureTolerance: { count: 1 },
    graceHours: 24,
  },
});
