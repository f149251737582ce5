import type { Log } from "@stackfleet/core/log";
import type { RestoredState } from "@stackfleet/sandbox/index";
import type { LocalConfig } from "./config";
import { startDynamoDbLocal } from "./dynamodb";
import { startLocalStack } from "./stack";
import { type LocalState, removeState, writeState } from "./state";

const SWEEP_INTERVAL_MS = 5 * 60_000;

export interface LocalRuntime {
  state: LocalState;
  describe(): string;
  stop(): Promise<void>;
}

/**
 * `npm start`: DynamoDB Local (persisted), the sandbox, the API and the executor — no AWS account.
 * `log` replaces the JSON lines on stdout (`npm run demo` starting its own keeps its output readable).
 */
export async function startLocal(config: LocalConfig, options: { log?: Log } = {}): Promise<LocalRuntime> {
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
      clock: config.clock,
      ...(config.graceMs !== undefined && { graceMs: config.graceMs }),
      persistSandbox: true,
      tokenClock: "wall",
      ...(options.log && { log: options.log }),
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
      time: { clock: config.clock, ...(config.graceMs !== undefined && { graceMs: config.graceMs }) },
    };
    writeState(config.stateFile, state);
    // The updater's 5-minute sweeper schedule, locally: lost runs and notifications are re-delivered.
    const sweeper = setInterval(() => void stack.sweep().catch(() => undefined), SWEEP_INTERVAL_MS);
    sweeper.unref();
    const customers = stack.accounts.customers.map((a) => a.accountId).join(", ");
    return {
      state,
      describe: () =>
        [
          "Stackfleet is running locally (no AWS account involved).",
          `  API            ${stack.apiUrl}   (health: /health, docs: /docs, OpenAPI: /openapi.json)`,
          `  Sandbox        ${stack.sandbox.endpoint}   DEV/TEST HARNESS standing in for STS, CloudFormation, Scheduler`,
          `                 vendor ${stack.accounts.vendor.accountId}, updater ${stack.accounts.updater.accountId}, customers ${customers}`,
          `                 ${restoredText(stack.sandbox.restored)}`,
          `  DynamoDB Local ${dynamo.endpoint}   table ${config.tableName}, data in ${config.dataDir}`,
          `  State file     ${config.stateFile}   (endpoints and sandbox credentials for the CLI and tools)`,
          `  Time           ${timeText(config, stack.sandbox.clock.now())}`,
          `  Tokens         npx stackfleet token --role tenant-admin --tenant ten_demo   |   --role operator`,
          "Ctrl-C stops everything; the table, keys and the sandbox's stacks and schedules are kept for the next start.",
        ].join("\n"),
      async stop() {
        clearInterval(sweeper);
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

function restoredText(restored: RestoredState | undefined): string {
  if (!restored) return "fresh sandbox: nothing saved yet";
  return `restored from the last run: ${restored.stacks} stack(s), ${restored.schedules} pending schedule(s), ${restored.roles} role(s)${
    restored.clockAt ? `, clock resumed at ${restored.clockAt.toISOString()}` : ""
  }`;
}

function timeText(config: LocalConfig, now: Date): string {
  const grace =
    config.graceMs === undefined
      ? "grace 24h (72h when permissions broaden)"
      : `grace ${formatMs(config.graceMs)} for every version published here`;
  const clock =
    config.clock === "manual"
      ? "manual clock: time moves only with `npx stackfleet clock advance 25h`"
      : "real clock: `npx stackfleet clock advance 25h` jumps it ahead";
  return `${now.toISOString()}, ${clock}; ${grace}`;
}

const formatMs = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
