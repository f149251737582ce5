import { z } from "@hono/zod-openapi";
import type { RunRecord } from "@stackfleet/core/run/run";
import { RUN_STATES } from "@stackfleet/core/run/run.entity";

export const RunView = z
  .object({
    id: z.string(),
    version: z.string(),
    attempt: z.number(),
    wave: z.string().optional(),
    state: z.enum(RUN_STATES).openapi({ example: "scheduled" }),
    reason: z.string().optional(),
    scheduledFor: z.string(),
    finishedAt: z.string().optional(),
    createdAt: z.string(),
  })
  .openapi("Run");

export const toRunView = (r: RunRecord): z.infer<typeof RunView> => ({
  id: r.runId,
  version: r.version,
  attempt: r.attempt,
  wave: r.wave,
  state: r.state,
  reason: r.reason,
  scheduledFor: r.scheduledFor,
  finishedAt: r.finishedAt,
  createdAt: r.createdAt,
});

export const PendingUpdateView = z
  .object({
    version: z.string(),
    from: z
      .string()
      .nullable()
      .openapi({ description: "The installed version the changelog and grace are computed from" }),
    scheduledFor: z.string(),
    changelogSummary: z.string().optional(),
    permissionsBroadened: z.boolean().openapi({ description: "From the installed version, skipped versions included" }),
    graceEndsAt: z.string().openapi({ description: "This customer's grace end: longer when its changelog broadens" }),
    runId: z.string(),
    attempt: z.number(),
  })
  .nullable()
  .openapi("PendingUpdate", { description: "The next update waiting for this integration; null when none is" });

export const PlanView = z
  .object({
    planned: z.number(),
    existing: z.number(),
    skipped: z.number(),
    rescheduled: z.number(),
    continuing: z.boolean(),
  })
  .openapi("RolloutPlan", {
    description: "What planning did within this request; `continuing`: the rest is planned in the background",
  });
