import type { LocalConfig } from "./config";
import { startDynamoDbLocal } from "./dynamodb";
import { startLocalStack } from "./stack";
import { type LocalState, removeState, writeState } from "./state";

export interface LocalRuntime {
  state: LocalState;
  describe(): string;
  stop(): Promise<void>;
}

/** `npm start`: DynamoDB Local (persisted), the sandbox, the API and the executor — no AWS account. */
export async function startLocal(config: LocalConfig): Promise<LocalRuntime> {
  // Port 0 means "any free port", for DynamoDB Local as for the API.
  const dynamo = await startDynamoDbLocal({ port: config.dynamoPort || undefined, dataDir: config.dataDir });
  try {
    const stack = await startLocalStack({
      dynamoEndpoint: dynamo.endpoint,
      tableName: config.tableName,
      dataDir: config.dataDir,
      host: config.host,
      apiPort: config.apiPort,
      sandboxPort: config.sandboxPort,
      clock: "real",
    });
    const state: LocalState = {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      apiUrl: stack.apiUrl,
      dynamodb: { endpoint: dynamo.endpoint, tableName: config.tableName, dataDir: config.dataDir },
      sandbox: {
        endpoint: stack.sandbox.endpoint,
        accounts: stack.sandbox.accounts.map(({ accountId, accessKeyId, secretAccessKey, role }) => ({
          accountId,
          accessKeyId,
          secretAccessKey,
          role,
        })),
      },
    };
    writeState(config.stateFile, state);
    const customers = stack.accounts.customers.map((a) => a.accountId).join(", ");
    return {
      state,
      describe: () =>
        [
          "Stackfleet is running locally (no AWS account involved).",
          `  API            ${stack.apiUrl}   (health: /health, docs: /docs, OpenAPI: /openapi.json)`,
          `  Sandbox        ${stack.sandbox.endpoint}   DEV/TEST HARNESS standing in for STS, CloudFormation, Scheduler`,
          `                 vendor ${stack.accounts.vendor.accountId}, updater ${stack.accounts.updater.accountId}, customers ${customers}`,
          `  DynamoDB Local ${dynamo.endpoint}   table ${config.tableName}, data in ${config.dataDir}`,
          `  State file     ${config.stateFile}   (endpoints and sandbox credentials for the CLI and tools)`,
          `  Tokens         npx stackfleet token --role tenant-admin --tenant ten_demo   |   --role operator`,
          "Ctrl-C stops everything; the table and keys are kept for the next start (the sandbox's stacks are not).",
        ].join("\n"),
      async stop() {
        removeState(config.stateFile);
        await stack.stop();
        await dynamo.stop();
      },
    };
  } catch (e) {
    await dynamo.stop();
    throw e;
  }
}
