import { Logger } from "@aws-lambda-powertools/logger";
import { handle } from "hono/aws-lambda";
import { createDocumentClient } from "@stackfleet/core/store/client";
import { createDeps } from "@stackfleet/core/deps";
import { createApp } from "./app";

const tableName = process.env.STACKFLEET_TABLE;
if (!tableName) throw new Error("STACKFLEET_TABLE is not set");

const logger = new Logger({ serviceName: "stackfleet-api" });
const app = createApp(createDeps(createDocumentClient(), tableName), {
  log: { error: (message, details) => logger.error(message, details) },
});

export const handler = handle(app);
