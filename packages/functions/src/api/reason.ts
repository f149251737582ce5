import { z } from "@hono/zod-openapi";
import { actorOf } from "@stackfleet/core/auth";
import type { Context } from "hono";
import { principalOf } from "./auth";
import type { ApiEnv } from "./env";
import { rolloutContext } from "./rollout-context";

/** The optional `{ reason }` body of operator actions; it is recorded on the audit event. */
const ReasonBody = z
  .strictObject({ reason: z.string().max(500).optional() })
  .openapi("Reason", { example: { reason: "canary failures in eu-west-1" } });

export const optionalReason = {
  body: { required: false, content: { "application/json": { schema: ReasonBody } } },
} as const;

/** The body is optional, so it is read by hand: absent is no reason, present must be valid. */
export const reasonOf = async (c: { req: { text(): Promise<string> } }) => {
  const text = await c.req.text();
  return text ? ReasonBody.parse(JSON.parse(text)).reason : undefined;
};

/**
 * What every operator control takes from its request: the deps, the rollout context, who acts and
 * why, and the planning budget of the controls that plan.
 */
export async function operatorRequest(c: Context<ApiEnv>) {
  const deps = c.get("deps");
  const ctx = await rolloutContext(deps);
  const budget = { budgetMs: deps.rollout.planBudgetMs };
  return { deps, ctx, actor: actorOf(principalOf(c)), reason: await reasonOf(c), budget };
}
