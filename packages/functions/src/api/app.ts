import { OpenAPIHono } from "@hono/zod-openapi";
import { newCursorKey } from "@stackfleet/core/db/cursor";
import { registerBearerScheme } from "./auth";
import { callbacks } from "./callbacks";
import { controls } from "./controls";
import { docsPage } from "./docs";
import type { ApiDeps, ApiEnv } from "./env";
import { type ErrorLogger, notFoundRoute, onError, validationHook } from "./error";
import { events } from "./events";
import { fleet } from "./fleet";
import { health } from "./health";
import { httpSemantics, pathShapes } from "./http";
import { integrationControls } from "./integration-controls";
import { integrations } from "./integrations";
import { registerErrorResponse } from "./openapi";
import { rollouts, runs } from "./rollouts";
import { rememberVerifiedTokens } from "./verified-tokens";
import { versionRelease } from "./version-release";
import { versionTemplate } from "./version-template";
import { versions } from "./versions";

export interface AppOptions {
  log: ErrorLogger;
  /**
   * Browser origins allowed to call the API (CORS), e.g. the vendor's dashboard. Deployments read
   * them from `STACKFLEET_CORS_ORIGINS` (comma-separated); none means no cross-origin access.
   */
  corsOrigins?: readonly string[];
}

/** The docs' sections, in the order a vendor meets them. */
const TAGS = [
  { name: "integrations", description: "Connect a customer's AWS account and follow its stack" },
  { name: "events", description: "The audit trail and customer notifications" },
  { name: "versions", description: "Publish, inspect, halt and approve template versions (operators)" },
  { name: "rollouts", description: "How a version reaches the fleet: policy, progress, planning (operators)" },
  { name: "customer controls", description: "The customer's say: skip a version, update now, maintenance window" },
  { name: "controls", description: "The global kill switch (operators)" },
  { name: "fleet", description: "Tenants, integrations, versions and audit across the fleet (operators)" },
  { name: "callbacks", description: "Called by the customer's stack, not by people" },
  { name: "health", description: "For load balancers and monitors" },
];

/** The whole HTTP API. Thin: parse, authorise, call one core function, shape the response. */
export function createApp(deps: ApiDeps, options: AppOptions) {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  const requestDeps: ApiDeps = {
    ...deps,
    auth: rememberVerifiedTokens(deps.auth, deps.now),
    cursorKey: deps.cursorKey ?? newCursorKey(),
  };
  const openApi = {
    openapi: "3.1.0",
    info: {
      title: "Stackfleet API",
      version: "1.0.0",
      description: "Keeps customer integration stacks up to date, safely.",
    },
    tags: TAGS,
  };
  const document = () => app.getOpenAPI31Document(openApi);
  app.use(httpSemantics(() => pathShapes(app.routes), { corsOrigins: options.corsOrigins ?? [] }));
  app.use(async (c, next) => {
    c.set("deps", requestDeps);
    await next();
  });
  app.onError(onError(options.log));
  app.notFound(notFoundRoute);
  app.route("/", health);
  app.route("/v1/integrations", integrations);
  app.route("/v1/integrations", integrationControls);
  app.route("/v1/events", events);
  app.route("/v1/versions", versions);
  app.route("/v1/versions", versionRelease);
  app.route("/v1/versions", versionTemplate);
  app.route("/v1/rollouts", rollouts);
  app.route("/v1/runs", runs);
  app.route("/v1/controls", controls);
  app.route("/v1/fleet", fleet);
  app.route("/", callbacks);
  registerBearerScheme(app);
  registerErrorResponse(app);
  app.doc31("/openapi.json", openApi);
  app.get("/docs", docsPage(document));
  return app;
}

export type App = ReturnType<typeof createApp>;
