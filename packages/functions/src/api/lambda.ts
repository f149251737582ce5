import { Logger } from "@aws-lambda-powertools/logger";
import { ApiConfig, fromEnv } from "@stackfleet/core/config";
import { handle } from "hono/aws-lambda";
import { continuePlan, isPlanContinuation } from "../plan-continuation";
import { awsApiAdapters, wireApi } from "../wiring/api";

const logger = new Logger({ serviceName: "stackfleet-api" });
const config = fromEnv(ApiConfig);
const { deps, app } = wireApi(
  config,
  awsApiAdapters(config, { error: (message, details) => logger.error(message, details) }),
);
const http = handle(app);

/** HTTP requests go to the app; the function's own asynchronous re-invocations continue rollout plans. */
export const handler = async (
  event: Parameters<typeof http>[0],
  context: Parameters<typeof http>[1] & { getRemainingTimeInMillis(): number },
) => {
  if (isPlanContinuation(event))
    return continuePlan(deps, deps.rollout, event, () => context.getRemainingTimeInMillis());
  return http(event, context);
};
