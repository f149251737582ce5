import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "@stackfleet/core/auth";
import { StackfleetError } from "@stackfleet/core/error";
import { loadRolloutPolicy, RolloutPolicy, rolloutProgress, setRolloutPolicy } from "@stackfleet/core/rollout";
import { Version } from "@stackfleet/core/version";
import { authResponses, bearerAuth, principalOf, requireAuth, requireOperator } from "./auth";
import { router } from "./env";
import { ErrorBody } from "./error";
import { startPlanning } from "./rollout-context";
import { PlanView } from "./rollout-views";

const json = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
const StateCounts = z.record(z.string(), z.number());

const RolloutView = z
  .object({
    version: z.string(),
    state: z.string(),
    stateReason: z.string().optional().openapi({
      description: "Why it is halted, e.g. `failure tolerance exceeded in wave canary: 2 failures > tolerance 1`",
    }),
    graceEndsAt: z.string(),
    policy: z.unknown().optional(),
    fleetSize: z.number().optional().openapi({ description: "Eligible integrations when planning began" }),
    byState: StateCounts.openapi({ description: "Runs (every attempt) by state" }),
    waves: z.record(
      z.string(),
      z.object({
        size: z.number(),
        finished: z.number(),
        succeeded: z.number(),
        failed: z.number(),
        tolerance: z.number(),
        lastFinishedAt: z.string().optional(),
        byState: StateCounts,
      }),
    ),
    failures: z.array(
      z.object({
        runId: z.string(),
        integrationId: z.string(),
        wave: z.string().optional(),
        attempt: z.number(),
        reason: z.string().optional(),
        finishedAt: z.string().optional(),
      }),
    ),
  })
  .openapi("RolloutProgress");

const VersionParam = z.object({
  version: z
    .string()
    .max(64)
    .openapi({ param: { name: "version", in: "path" }, example: "1.2.0" }),
});
const errors = {
  ...authResponses,
  400: json(ErrorBody, "Invalid version"),
  404: json(ErrorBody, "No such version"),
  409: json(ErrorBody, "The version is halted or awaits approval"),
};

// The stored policy is validated by core's schema; the docs show its shape.
const PolicyBody = z
  .strictObject({
    canary: z
      .strictObject({ integrationIds: z.array(z.string()).optional(), percentage: z.number().optional() })
      .optional(),
    coolingOffHours: z.number().optional(),
    maxConcurrent: z.union([z.strictObject({ count: z.number() }), z.strictObject({ percentage: z.number() })]),
    failureTolerance: z.union([z.strictObject({ count: z.number() }), z.strictObject({ percentage: z.number() })]),
    graceHours: z.number().optional(),
  })
  .openapi("RolloutPolicy", {
    description: "StackSets-style preferences with a canary in front; applies to rollouts planned from now on",
    example: {
      canary: { percentage: 5 },
      coolingOffHours: 24,
      maxConcurrent: { percentage: 10 },
      failureTolerance: { count: 1 },
      graceHours: 24,
    },
  });

export const rollouts = router()
  // Before /v1/rollouts/{version}, which would otherwise read "policy" as a version.
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/rollouts/policy",
      summary: "The rollout policy new rollouts get (operators)",
      tags: ["rollouts"],
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      responses: { 200: json(PolicyBody, "The policy (the defaults until one is stored)"), ...errors },
    }),
    async (c) => c.json(await loadRolloutPolicy(c.get("deps")), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/v1/rollouts/policy",
      summary: "Set the rollout policy for rollouts planned from now on (operators)",
      tags: ["rollouts"],
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { body: { required: true, content: { "application/json": { schema: PolicyBody } } } },
      responses: { 200: json(PolicyBody, "Stored"), ...errors },
    }),
    async (c) =>
      c.json(
        await setRolloutPolicy(c.get("deps"), RolloutPolicy.parse(c.req.valid("json")), actorOf(principalOf(c))),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/v1/rollouts/{version}",
      summary: "A version's rollout: progress by state and wave, failures with reasons (operators)",
      tags: ["rollouts"],
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { params: VersionParam },
      responses: { 200: json(RolloutView, "The rollout"), ...errors },
    }),
    async (c) => c.json(await rolloutProgress(c.get("deps"), c.req.valid("param").version), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/v1/rollouts/{version}/plan",
      summary: "Plan (again) a published version's rollout: idempotent, creates only what is missing (operators)",
      tags: ["rollouts"],
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { params: VersionParam },
      responses: {
        200: json(PlanView, "What this request planned; `continuing`: the rest follows in the background"),
        ...errors,
        503: json(ErrorBody, "The scheduler is unavailable or not configured"),
      },
    }),
    async (c) => {
      const deps = c.get("deps");
      const plan = await startPlanning(deps, await Version.get(deps, c.req.valid("param").version));
      if (!plan)
        throw new StackfleetError(
          "unavailable",
          "scheduler_not_configured",
          "Rollouts need the updater stage: deploy it, then plan again",
        );
      return c.json(plan, 200);
    },
  );
