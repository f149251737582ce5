import { serve, type ServerType } from "@hono/node-server";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createDeps } from "@stackfleet/core/deps";
import { ensureTable } from "@stackfleet/core/store/create-table";
import { createApp } from "@stackfleet/functions/api/app";
import type { LocalConfig } from "./config";
import { startDynamoDbLocal } from "./dynamodb";
import { removeState, writeState, type LocalState } from "./state";

export interface LocalRuntime {
  state: LocalState;
  describe(): string;
  stop(): Promise<void>;
}

/** Starts DynamoDB Local (persisted), the table, and the API on one machine — no AWS account. */
export async function startLocal(config: LocalConfig): Promise<LocalRuntime> {
  // Port 0 means "any free port", for DynamoDB Local as for the API.
  const dynamo = await startDynamoDbLocal({ port: config.dynamoPort || undefined, dataDir: config.dataDir });
  let server: ServerType | undefined;
  try {
    const client = new DynamoDBClient({
      endpoint: dynamo.endpoint,
      region: "local",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const created = await ensureTable(client, config.tableName);
    const documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    const deps = createDeps(documentClient, config.tableName);
    const app = createApp(deps, { log: { error: (message, details) => console.error(JSON.stringify({ level: "error", message, ...details })) } });

    const listening = await new Promise<{ port: number }>((done, fail) => {
      server = serve({ fetch: app.fetch, port: config.apiPort, hostname: config.host }, (info) => done(info));
      server.once("error", fail);
    });
    const apiUrl = `http://${config.host}:${listening.port}`;
    const state: LocalState = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      apiUrl,
      dynamodb: { endpoint: dynamo.endpoint, tableName: config.tableName, dataDir: config.dataDir },
    };
    writeState(config.stateFile, state);

    return {
      state,
      describe: () =>
        [
          "Stackfleet is running locally (no AWS account involved).",
          `  API            ${apiUrl}   (health: ${apiUrl}/health, OpenAPI: ${apiUrl}/openapi.json)`,
          `  DynamoDB Local ${dynamo.endpoint}   table ${config.tableName} (${created ? "created" : "reused"}), data in ${config.dataDir}`,
          `  State file     ${config.stateFile}`,
          "Ctrl-C stops everything; the data is kept for the next start.",
        ].join("\n"),
      async stop() {
        removeState(config.stateFile);
        await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
        client.destroy();
        await dynamo.stop();
      },
    };
  } catch (e) {
    server?.close();
    await dynamo.stop();
    throw e;
  }
}
