import { createRoute, z } from "@hono/zod-openapi";
import { Registration } from "@stackfleet/core/integration";
import { router } from "./env";
import { ErrorBody } from "./error";

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/**
 * The customer stack's registration custom resource calls this. No bearer token: the caller is
 * authenticated by the ExternalId match and by proving the role's trust with AssumeRole.
 */
export const callbacks = router().openapi(
  createRoute({
    method: "post",
    path: "/v1/callbacks/registration",
    summary: "Registration callback from the customer stack (Create/Update/Delete)",
    tags: ["callbacks"],
    request: {
      body: { required: true, content: { "application/json": { schema: Registration.RegistrationCallback } } },
    },
    responses: {
      200: json(
        z.object({ integrationId: z.string(), status: z.string() }).openapi("RegistrationResult"),
        "Registered (or a harmless replay)",
      ),
      400: json(ErrorBody, "Malformed callback"),
      403: json(ErrorBody, "ExternalId, account or trust proof refused"),
      409: json(ErrorBody, "Conflicts with the integration's state (e.g. a different role ARN)"),
      503: json(ErrorBody, "STS did not answer; the stack may retry"),
    },
  }),
  async (c) => {
    const deps = c.get("deps");
    const result = await Registration.register(deps, deps.access, c.req.valid("json"));
    return c.json({ integrationId: result.integrationId, status: result.status }, 200);
  },
);
