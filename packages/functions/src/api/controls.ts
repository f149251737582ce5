import { createRoute, z } from "@hono/zod-openapi";
import { OperatorControls } from "@stackfleet/core/rollout";
import { Halts } from "@stackfleet/core/version";
import { bearerAuth, requireAuth, requireOperator } from "./auth";
import { type ApiDeps, router } from "./env";
import { errors, json } from "./openapi";
import { operatorRequest, optionalReason } from "./reason";

const ControlView = z
  .object({
    halted: z.boolean(),
    reason: z.string().optional(),
    changedBy: z.string().optional(),
    updatedAt: z.string().optional(),
  })
  .openapi("GlobalControl", { example: { halted: true, reason: "incident 4711", changedBy: "operator:ana" } });
const tags = ["controls"];

const controlAction = <P extends string>(path: P, summary: string) =>
  createRoute({
    method: "post",
    path,
    summary,
    tags,
    security: bearerAuth,
    middleware: [requireAuth(), requireOperator()] as const,
    request: optionalReason,
    responses: { 200: json(ControlView, "The global control after the change"), ...errors(400, 401, 403, 409, 415) },
  });

/** A resumed version's remaining planning continues the way a plan's does. */
async function handOn(deps: ApiDeps, version: string, cursor: string | null) {
  if (cursor) await deps.rollout.continuePlanning(version, cursor);
}

/** Mounted at /v1/controls: the vendor's global kill switch. */
export const controls = router()
  .openapi(
    createRoute({
      method: "get",
      path: "/",
      summary: "The global control (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      responses: { 200: json(ControlView, "Whether every rollout is halted, and why"), ...errors(401, 403) },
    }),
    async (c) => c.json(await Halts.globalControl(c.get("deps")), 200),
  )
  .openapi(controlAction("/halt", "Halt every rollout: the global kill switch (operators)"), async (c) => {
    const { deps, ctx, actor, reason } = await operatorRequest(c);
    return c.json(await OperatorControls.haltEverything(deps, ctx, actor, reason), 200);
  })
  .openapi(controlAction("/resume", "Lift the global halt; waiting runs are woken (operators)"), async (c) => {
    const { deps, ctx, actor, reason, budget } = await operatorRequest(c);
    const { control, plans } = await OperatorControls.resumeEverything(deps, ctx, actor, reason, budget);
    for (const { version, plan } of plans) await handOn(deps, version, plan.cursor);
    return c.json(control, 200);
  });
