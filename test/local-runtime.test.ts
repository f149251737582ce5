import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { type LocalState, readState } from "@stackfleet/local/state";
import { afterAll, describe, expect, it } from "vitest";

// The README's `npm start`, as a real process: `tsx packages/local/src/main.ts` with every port 0.
const dir = mkdtempSync(join(tmpdir(), "stackfleet-local-"));
const stateFile = join(dir, "local.json");
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

async function start(): Promise<{ child: ChildProcess; state: LocalState; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      "node_modules/.bin/tsx",
      "packages/local/src/main.ts",
      "--api-port",
      "0",
      "--dynamo-port",
      "0",
      "--sandbox-port",
      "0",
      "--data-dir",
      join(dir, "data"),
      "--state-file",
      stateFile,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  children.push(child);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 45_000;
  while (!existsSync(stateFile)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output}`);
    await sleep(100);
  }
  return { child, state: readState(stateFile), output: () => output };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((done) => child.once("exit", done));
  child.kill("SIGINT");
  return exited;
}

const documentClient = (endpoint: string) =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: "local", credentials: { accessKeyId: "a", secretAccessKey: "b" } }),
  );

describe("npm start (local runtime)", () => {
  it("serves /health with the store reachable, stops cleanly on Ctrl-C and keeps data across restarts", async () => {
    const first = await start();
    expect(first.output()).toContain("Stackfleet is running locally");
    // Tools find the sandbox and its accounts in the state file, not in the logs.
    expect(first.state.sandbox?.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(new Set(first.state.sandbox?.accounts.map((a) => a.role))).toEqual(
      new Set(["vendor", "updater", "customer"]),
    );
    const health = await fetch(`${first.state.apiUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", store: { reachable: true } });

    const marker = { pk: "test#marker", sk: "test#marker", note: "kept across restarts" };
    await documentClient(first.state.dynamodb.endpoint).send(
      new PutCommand({ TableName: first.state.dynamodb.tableName, Item: marker }),
    );

    expect(await stop(first.child)).toBe(0);
    expect(existsSync(stateFile)).toBe(false);

    const second = await start();
    expect(second.output()).toContain("Stackfleet is running locally");
    expect((await fetch(`${second.state.apiUrl}/health`)).status).toBe(200);
    const { Item } = await documentClient(second.state.dynamodb.endpoint).send(
      new GetCommand({ TableName: second.state.dynamodb.tableName, Key: { pk: marker.pk, sk: marker.sk } }),
    );
    expect(Item).toEqual(marker);
    expect(await stop(second.child)).toBe(0);
  }, 120_000);
});
