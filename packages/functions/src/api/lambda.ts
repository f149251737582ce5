import { Logger } from "@aws-lambda-powertools/logger";
import { ApiConfig, fromEnv } from "@stackfleet/core/config";
import { handle } from "hono/aws-lambda";
import { awsApiAdapters, wireApi } from "../wiring/api";

const logger = new Logger({ serviceName: "stackfleet-api" });
const config = fromEnv(ApiConfig);
const { app } = wireApi(
  config,
  awsApiAdapters(config, { error: (message, details) => logger.error(message, details) }),
);

/** HTTP requests only: a plan that outlives a request continues in the planner function (planner.ts). */
export const handler = handle(app);
