import { createRoute, z } from "@hono/zod-openapi";
import { CustomerControls, MaintenanceWindow } from "@stackfleet/core/rollout";
import type { Context } from "hono";
import { bearerAuth, requireAuth, TenantQuery } from "./auth";
import { classicShape } from "./classic";
import { type ApiEnv, router } from "./env";
import { errors, IdParam, json, jsonBody, Semver } from "./openapi";
import { RunView, toRunView } from "./rollout-views";
import { IntegrationView, toIntegrationView } from "./views";
import { withIntegration } from "./with-integration";

// 409 codes here: `in_grace_period`, `not_eligible`, `version_not_published`, `integration_removed`, …
const changeErrors = errors(400, 401, 403, 404, 409, 415);
const tags = ["customer controls"];

const VersionBody = z.strictObject({ version: Semver });
const SkipParams = IdParam.extend({
  version: Semver.openapi({ param: { name: "version", in: "path" } }),
});
const WindowBody = z.strictObject(classicShape(MaintenanceWindow.shape)).openapi("MaintenanceWindow", {
  description:
    "On each of `days` (0 = Sunday, in `timezone`) a window opens at `startMinute` local time for `durationMinutes`",
  example: { days: [2, 4], startMinute: 120, durationMinutes: 120, timezone: "Europe/Berlin" },
});

const SkipResult = z
  .object({
    integration: IntegrationView,
    cancelled: z.number().openapi({ description: "Waiting updates to this version that were cancelled" }),
  })
  .openapi("SkipResult");
const UnskipResult = z.object({ integration: IntegrationView, planned: RunView.nullable() }).openapi("UnskipResult");
const WindowResult = z
  .object({ integration: IntegrationView, moved: z.array(RunView) })
  .openapi("MaintenanceWindowResult");

const setWindow = (c: Context<ApiEnv>, window: z.infer<typeof WindowBody> | null) =>
  withIntegration(c, async (a) =>
    CustomerControls.setMaintenanceWindow(a.deps, await a.rollout(), a.integration, window, a.actor),
  );
const windowResult = (c: Context<ApiEnv>, out: Awaited<ReturnType<typeof setWindow>>) =>
  c.json({ integration: toIntegrationView(out.integration), moved: out.moved.map(toRunView) }, 200);

/** Mounted at /v1/integrations. The customer's say over updates: skip a version, update now, a maintenance window. Each is audited and notified. */
export const integrationControls = router()
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/skips",
      summary: "Skip a version: its waiting update is cancelled and never planned",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: {
        params: IdParam,
        query: TenantQuery,
        body: jsonBody(VersionBody),
      },
      responses: { 200: json(SkipResult, "Skipped"), ...changeErrors },
    }),
    async (c) => {
      const version = c.req.valid("json").version;
      const out = await withIntegration(c, async (a) =>
        CustomerControls.skipVersion(a.deps, await a.rollout(), a.integration, version, a.actor),
      );
      return c.json({ integration: toIntegrationView(out.integration), cancelled: out.cancelled }, 200);
    },
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}/skips/{version}",
      summary: "Stop skipping a version: the latest version is planned again if eligible",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: SkipParams, query: TenantQuery },
      responses: { 200: json(UnskipResult, "No longer skipped"), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const version = c.req.valid("param").version;
      const out = await withIntegration(c, async (a) =>
        CustomerControls.unskipVersion(a.deps, await a.rollout(), a.integration, version, a.actor),
      );
      return c.json(
        { integration: toIntegrationView(out.integration), planned: out.planned ? toRunView(out.planned) : null },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: "post",
      path: "/{id}/updates",
      summary: "Update now (after the version's grace period; still verified and re-checked)",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: {
        params: IdParam,
        query: TenantQuery,
        body: jsonBody(VersionBody),
      },
      responses: { 202: json(RunView, "The run that will update the stack, scheduled for now"), ...changeErrors },
    }),
    async (c) => {
      const version = c.req.valid("json").version;
      const run = await withIntegration(c, async (a) =>
        CustomerControls.updateNow(a.deps, await a.rollout(), a.integration, version, a.actor),
      );
      return c.json(toRunView(run), 202);
    },
  )
  .openapi(
    createRoute({
      method: "put",
      path: "/{id}/maintenance-window",
      summary: "Set the maintenance window; waiting updates move into it",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: {
        params: IdParam,
        query: TenantQuery,
        body: jsonBody(WindowBody),
      },
      responses: { 200: json(WindowResult, "Set"), ...changeErrors },
    }),
    async (c) => windowResult(c, await setWindow(c, c.req.valid("json"))),
  )
  .openapi(
    createRoute({
      method: "delete",
      path: "/{id}/maintenance-window",
      summary: "Clear the maintenance window",
      tags,
      security: bearerAuth,
      middleware: [requireAuth()] as const,
      request: { params: IdParam, query: TenantQuery },
      responses: { 200: json(WindowResult, "Cleared"), ...errors(400, 401, 403, 404, 409) },
    }),
    async (c) => windowResult(c, await setWindow(c, null)),
  );
