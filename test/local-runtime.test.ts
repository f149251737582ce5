import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { issueDevToken, loadOrCreateDevAuthKey } from "@stackfleet/local/dev/auth-key";
import { type LocalState, readState } from "@stackfleet/local/state";
import { afterAll, describe, expect, it } from "vitest";
import { addPermission, nextTemplate } from "../scripts/demo/templates";

// The README's `npm start`, as a real process: `tsx packages/local/src/main.ts` with every port 0.
const dir = mkdtempSync(join(tmpdir(), "stackfleet-local-"));
const stateFile = join(dir, "local.json");
const children: ChildProcess[] = [];
afterAll(() => {
  // The whole process group: tsx runs the runtime in a child of its own, which starts DynamoDB Local.
  for (const child of children) {
    try {
      if (child.exitCode === null && child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

async function start(extra: string[] = []): Promise<{ child: ChildProcess; state: LocalState; output: () => string }> {
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
      ...extra,
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  children.push(child);
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const deadline = Date.now() + 120_000;
  // The state file is written just before the banner is printed: wait for both.
  while (!existsSync(stateFile) || !output.includes("Ctrl-C stops everything")) {
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
  }, 300_000);

  it("--clock manual --grace 2m: one clock for the API, the sandbox and its Scheduler; a 2-minute signed grace; sandbox stacks survive a restart", async () => {
    const first = await start(["--clock", "manual", "--grace", "2m"]);
    expect(first.output()).toContain("manual clock");
    expect(first.output()).toContain("grace 2m for every version published here");
    expect(first.state.time).toEqual({ clock: "manual", graceMs: 120_000 });
    const sandbox = first.state.sandbox!;
    const clock = async () => (await (await fetch(`${sandbox.endpoint}/_sandbox/clock`)).json()) as { now: string };
    const frozen = (await clock()).now;
    await sleep(1100);
    expect((await clock()).now).toBe(frozen);

    // A token minted in wall time, as the CLI does: still valid after the clock jumps a day.
    const operator = await operatorToken();
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${first.state.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${operator}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const v1 = await (await api("GET", "/v1/versions/1.0.0/template?format=raw")).text();
    const published = await api("POST", "/v1/versions", {
      version: "1.1.0",
      template: nextTemplate(v1, "1.0.0", "1.1.0", addPermission("s3:GetBucketPolicyStatus")),
    });
    expect(published.status, await published.clone().text()).toBe(201);
    const version = (await published.json()) as {
      createdAt: string;
      graceEndsAt: string;
      permissionsBroadened: boolean;
    };
    // The API published on the sandbox's frozen time, and signed a 2-minute grace even for a broadening version.
    expect(version.createdAt).toBe(frozen);
    expect(version.permissionsBroadened).toBe(true);
    expect(Date.parse(version.graceEndsAt) - Date.parse(version.createdAt)).toBe(120_000);

    const advanced = await fetch(`${sandbox.endpoint}/_sandbox/clock/advance`, {
      method: "POST",
      body: JSON.stringify({ duration: "25h" }),
    });
    expect(advanced.status).toBe(200);
    const later = (await clock()).now;
    expect(Date.parse(later) - Date.parse(frozen)).toBe(25 * 3_600_000);
    const created = await api("POST", "/v1/integrations?tenantId=ten_clock", {
      accountId: "444444444444",
      region: "eu-west-1",
    });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(((await created.json()) as { createdAt: string }).createdAt).toBe(later);

    // A stack the customer created survives the restart, and the manual clock resumes where it stopped.
    const customer = sandbox.accounts.find((a) => a.role === "customer")!;
    await cloudformation(sandbox.endpoint, customer).send(
      new CreateStackCommand({
        StackName: "Acme-kept",
        TemplateBody: JSON.stringify({ Resources: { Topic: { Type: "AWS::SNS::Topic" } } }),
      }),
    );
    expect(await stop(first.child)).toBe(0);

    const second = await start(["--clock", "manual", "--grace", "2m"]);
    expect(second.output()).toMatch(/restored from the last run: 1 stack\(s\)/);
    expect(second.output()).toContain(`clock resumed at ${later}`);
    const { Stacks } = await cloudformation(second.state.sandbox!.endpoint, customer).send(
      new DescribeStacksCommand({ StackName: "Acme-kept" }),
    );
    expect(Stacks?.[0]?.StackStatus).toBe("CREATE_COMPLETE");
    expect(await stop(second.child)).toBe(0);
  }, 400_000);
});

async function operatorToken(): Promise<string> {
  const key = await loadOrCreateDevAuthKey(join(dir, "data"));
  return issueDevToken({ key, role: "operator", ttl: 600 });
}

const cloudformation = (endpoint: string, account: { accessKeyId: string; secretAccessKey: string }) =>
  new CloudFormationClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
  });
