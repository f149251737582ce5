import { createRoute, z } from "@hono/zod-openapi";
import { Registration } from "@stackfleet/core/integration";
import { limiterFor } from "@stackfleet/core/integration/callback-rate-limit";
import { CustomerControls } from "@stackfleet/core/rollout";
import type { Context } from "hono";
import { asClassic } from "./classic";
import { type ApiEnv, router } from "./env";
import { errorJson } from "./error";
import { errors, json } from "./openapi";
import { deliverNotifications, rolloutContext } from "./rollout-context";

const PATH = "/v1/callbacks/registration";

/**
 * The caller's address as the runtime saw it: API Gateway's `sourceIp` in Lambda, the socket
 * locally. Undefined only for in-process requests (`app.request` in tests), which no network
 * source can make.
 */
function sourceOf(c: Context<ApiEnv>): string | undefined {
  const env = c.env as
    | {
        event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
        incoming?: { socket?: { remoteAddress?: string } };
      }
    | undefined;
  const context = env?.event?.requestContext;
  return context?.http?.sourceIp ?? context?.identity?.sourceIp ?? env?.incoming?.socket?.remoteAddress;
}

/**
 * The customer stack's registration custom resource calls this. No bearer token: the ExternalId
 * names the integration, and every claim is checked against the live stack through the
 * integration role. Each source gets a token bucket before anything is parsed or read.
 */
export const callbacks = router();

callbacks.use(PATH, async (c, next) => {
  const deps = c.get("deps");
  const source = sourceOf(c);
  if (source !== undefined && !limiterFor(deps.access, deps.access.rateLimit, deps.now).take(source))
    return errorJson(c, 429, "rate_limited", "Too many registration callbacks from this source; retry later");
  await next();
});

callbacks.openapi(
  createRoute({
    method: "post",
    path: PATH,
    summary: "Registration callback from the customer stack (Create/Update/Delete)",
    description:
      "400: malformed callback. 403: ExternalId, account, trust proof or live-stack check refused. " +
      "409: the live stack does not confirm the claim (version, deletion, role ARN). " +
      "429: too many callbacks from this source. 503: STS or CloudFormation did not answer; the stack may retry.",
    tags: ["callbacks"],
    request: {
      body: {
        required: true,
        content: { "application/json": { schema: asClassic(Registration.RegistrationCallback) } },
      },
    },
    responses: {
      200: json(
        z.object({ integrationId: z.string(), status: z.string() }).openapi("RegistrationResult"),
        "Registered, or confirmed against the live stack (a replay changes nothing)",
      ),
      ...errors(400, 403, 409, 429, 503),
    },
  }),
  async (c) => {
    const deps = c.get("deps");
    const result = await Registration.register(deps, deps.access, c.req.valid("json"));
    // The customer switched updates off in the stack: its waiting runs end now, each one told,
    // rather than when they fire (the executor would refuse them then anyway).
    if (result.autoUpdateReason === Registration.STACK_OPT_OUT && deps.rollout.scheduler.configured !== false) {
      const ctx = await rolloutContext(deps);
      const actor = "customer-stack";
      if (await CustomerControls.cancelPendingRuns(deps, ctx, result, actor, Registration.STACK_OPT_OUT))
        await deliverNotifications(c, result.integrationId);
    }
    return c.json({ integrationId: result.integrationId, status: result.status }, 200);
  },
);
