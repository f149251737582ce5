import { createRoute, z } from "@hono/zod-openapi";
import { actorOf } from "@stackfleet/core/auth";
import { StackfleetError } from "@stackfleet/core/error";
import { loadRolloutPolicy, OperatorControls, rolloutProgress, setRolloutPolicy } from "@stackfleet/core/rollout";
import { Version } from "@stackfleet/core/version";
import { VERSION_STATES } from "@stackfleet/core/version/version.entity";
import { bearerAuth, principalOf, requireAuth, requireOperator } from "./auth";
import { router } from "./env";
import { errors, json, jsonBody, RolloutPolicyDoc, VersionParam } from "./openapi";
import { operatorRequest, optionalReason } from "./reason";
import { startPlanning } from "./rollout-context";
import { PlanView, RunView, toRunView } from "./rollout-views";

const StateCounts = z.record(z.string(), z.number());

const RolloutView = z
  .object({
    version: z.string(),
    state: z.enum(VERSION_STATES),
    stateReason: z.string().optional().openapi({
      description: "Why it is halted, e.g. `failure tolerance exceeded in wave canary: 2 failures > tolerance 1`",
    }),
    graceEndsAt: z.string(),
    policy: RolloutPolicyDoc.optional().openapi({ description: "The policy this rollout was planned with" }),
    fleetSize: z.number().optional().openapi({ description: "Eligible integrations when planning began" }),
    byState: StateCounts.openapi({
      description: "Runs (every attempt) by run state",
      example: { scheduled: 40, succeeded: 2 },
    }),
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

const StopView = z
  .object({
    version: z.string(),
    state: z.enum(VERSION_STATES),
    cancelled: z.number().openapi({ description: "Waiting (and claimed, not yet executing) runs cancelled now" }),
    finishing: z
      .number()
      .openapi({ description: "Runs whose change set is executing: they finish and their outcome is recorded" }),
    more: z.boolean().openapi({ description: "Waiting runs remain: stop again to continue (idempotent)" }),
  })
  .openapi("RolloutStop", { example: { version: "1.2.0", state: "halted", cancelled: 40, finishing: 2, more: false } });

const RunIdParam = z.object({
  runId: z
    .string()
    .regex(/^run_[0-9A-Za-z]{10,60}$/, "must be a run id")
    .openapi({ param: { name: "runId", in: "path" }, example: "run_01JD7Q8W9X0Y1Z2A3B4C5D6E7F" }),
});

// 409 codes here: `version_not_published` (halted or withdrawn), `approval_required`.
const readErrors = errors(400, 401, 403, 404);
const tags = ["rollouts"];

/** Mounted at /v1/rollouts. */
export const rollouts = router()
  // Before /{version}, which would otherwise read "policy" as a version.
  .openapi(
    createRoute({
      method: "get",
      path: "/policy",
      summary: "The rollout policy new rollouts get (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      responses: { 200: json(RolloutPolicyDoc, "The policy (the defaults until one is stored)"), ...errors(401, 403) },
    }),
    async (c) => c.json(await loadRolloutPolicy(c.get("deps")), 200),
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/policy",
      summary: "Set the rollout policy for rollouts planned from now on (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { body: jsonBody(RolloutPolicyDoc) },
      responses: { 200: json(RolloutPolicyDoc, "The stored policy"), ...errors(400, 401, 403, 415) },
    }),
    async (c) => c.json(await setRolloutPolicy(c.get("deps"), c.req.valid("json"), actorOf(principalOf(c))), 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/{version}",
      summary: "A version's rollout: progress by state and wave, failures with reasons (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { params: VersionParam },
      responses: { 200: json(RolloutView, "The rollout"), ...readErrors },
    }),
    async (c) => c.json(await rolloutProgress(c.get("deps"), c.req.valid("param").version), 200),
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{version}/plan",
      summary: "Plan (again) a published version's rollout: idempotent, creates only what is missing (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { params: VersionParam },
      responses: {
        200: json(PlanView, "What this request planned; `continuing`: the rest follows in the background"),
        ...errors(400, 401, 403, 404, 409, 503),
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
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{version}/stop",
      summary:
        "Stop a version's rollout: halt it, cancel its waiting runs; executing change sets finish and are recorded (operators)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth(), requireOperator()] as const,
      request: { params: VersionParam, ...optionalReason },
      responses: { 200: json(StopView, "What was stopped"), ...errors(400, 401, 403, 404, 409, 415) },
    }),
    async (c) => {
      const { deps, ctx, actor, reason, budget } = await operatorRequest(c);
      const target = c.req.valid("param").version;
      const { version, ...counts } = await OperatorControls.stopRollout(deps, ctx, target, actor, reason, budget);
      return c.json({ version: version.version, state: version.state, ...counts }, 200);
    },
  );

/**
 * Mounted at /v1/runs. 409 codes: `run_executing` (its change set is running: it finishes and is
 * recorded), `run_finished`, `run_state_changed`.
 */
export const runs = router().openapi(
  createRoute({
    method: "post",
    path: "/{runId}/cancel",
    summary: "Cancel one waiting or claimed run; the customer is told (operators)",
    tags,
    security: bearerAuth,
    middleware: [requireAuth(), requireOperator()] as const,
    request: { params: RunIdParam, ...optionalReason },
    responses: { 200: json(RunView, "The cancelled run"), ...errors(400, 401, 403, 404, 409, 415) },
  }),
  async (c) => {
    const { deps, ctx, actor, reason } = await operatorRequest(c);
    const run = await OperatorControls.cancelRun(deps, ctx, c.req.valid("param").runId, actor, reason);
    return c.json(toRunView(run), 200);
  },
);
