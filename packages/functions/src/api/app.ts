import { OpenAPIHono } from "@hono/zod-openapi";
import { registerBearerScheme } from "./auth";
import { callbacks } from "./callbacks";
import { docsPage } from "./docs";
import type { ApiDeps, ApiEnv } from "./env";
import { type ErrorLogger, notFoundRoute, onError, validationHook } from "./error";
import { events } from "./events";
import { health } from "./health";
import { integrationControls } from "./integration-controls";
import { integrations } from "./integrations";
import { rollouts } from "./rollouts";
import { versions } from "./versions";

export interface AppOptions {
  log: ErrorLogger;
}

/** The whole HTTP API. Thin: parse, authorise, call one core function, shape the response. */
export function createApp(deps: ApiDeps, options: AppOptions) {
  const app = new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
  app.use(async (c, next) => {
    c.set("deps", deps);
    await next();
  });
  app.onError(onError(options.log));
  app.notFound(notFoundRoute);
  app.route("/", health);
  app.route("/", integrations);
  app.route("/", callbacks);
  app.route("/", versions);
  app.route("/", integrationControls);
  app.route("/", rollouts);
  app.route("/", events);
  const openApi = {
    openapi: "3.1.0",
    info: {
      title: "Stackfleet API",
      version: "1.0.0",
      description: "Keeps customer integration stacks up to date, safely.",
    },
  };
  registerBearerScheme(app);
  app.doc31("/openapi.json", openApi);
  app.get(
    "/docs",
    docsPage(() => app.getOpenAPI31Document(openApi)),
  );
  return app;
}

export type App = ReturnType<typeof createApp>;
