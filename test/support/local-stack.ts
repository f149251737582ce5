import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudFormationClient,
  CreateStackCommand,
  type CreateStackCommandInput,
  DeleteStackCommand,
  DescribeStacksCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { DeleteTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { parseQuickCreateUrl } from "@stackfleet/cli/commands/sandbox";
import type { Role } from "@stackfleet/core/auth";
import { Integration } from "@stackfleet/core/integration";
import { installLinks } from "@stackfleet/core/integration/install";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { type Log, silentLog } from "@stackfleet/core/log";
import { Version } from "@stackfleet/core/version";
import { type DevAuthKey, issueDevToken, loadOrCreateDevAuthKey } from "@stackfleet/local/dev/auth-key";
import { type LocalStack, type LocalStackOptions, startLocalStack } from "@stackfleet/local/stack";
import type { SandboxAccount } from "@stackfleet/sandbox/index";
import { expect, inject } from "vitest";
import { scanTable } from "./store";

/** What `api()` returns: the status and the parsed JSON body (`undefined` when not JSON). */
export interface ApiResponse {
  status: number;
  // Response bodies are asserted field by field; their static type does not matter in tests.
  body: any;
  headers: Headers;
}

export interface InstallOverrides {
  /** Replaces (or adds) `param_*` values of the link, e.g. a tampered `ExternalId`. */
  parameters?: Record<string, string>;
  stackName?: string;
  /** Defaults to the link's Region. */
  region?: string;
}

export interface StackWaitOptions {
  /** Real-time limit: custom resources run as child processes and call the API over HTTP. */
  deadlineMs?: number;
  /** How far the sandbox's manual clock moves per poll (stack phases advance on it). */
  stepMs?: number;
}

export interface TestStack extends LocalStack {
  tableName: string;
  dataDir: string;
  /** What the API and the executor logged at error level (an unexpected 500 shows up here). */
  errors: Array<{ message: string; fields?: Record<string, unknown> }>;
  /** A dev bearer token the stack's API accepts, issued at the sandbox's (manual) time, valid 1 h of it. */
  tokenFor(role: Role, tenantId?: string, options?: { subject?: string; ttl?: string }): Promise<string>;
  /** `fetch` against the real HTTP API; `body` is sent as JSON. */
  api(method: string, path: string, token?: string, body?: unknown): Promise<ApiResponse>;
  /** A CloudFormation client acting as the account's admin (as the customer would in the console). */
  cloudformation(account: SandboxAccount | string, region: string): CloudFormationClient;
  /**
   * What a customer does with a quick-create link: CreateStack from its `templateURL`, `stackName`
   * and `param_*` values (with CAPABILITY_IAM + CAPABILITY_NAMED_IAM) in `account`, then waits for
   * the stack to settle. Resolves with the stack whatever its final status: tests assert on it.
   */
  installFromQuickCreate(
    url: string,
    account: SandboxAccount | string,
    overrides?: InstallOverrides,
    wait?: StackWaitOptions,
  ): Promise<Stack>;
  /** CreateStack with any input (e.g. a hand-crafted `TemplateBody`), then waits for it to settle. */
  createStack(
    account: SandboxAccount | string,
    region: string,
    input: Omit<CreateStackCommandInput, "Capabilities"> & { Capabilities?: CreateStackCommandInput["Capabilities"] },
    wait?: StackWaitOptions,
  ): Promise<Stack>;
  /** DeleteStack (the customer removing the integration), then waits for DELETE_COMPLETE/FAILED. */
  deleteStack(
    account: SandboxAccount | string,
    region: string,
    stackIdOrName: string,
    wait?: StackWaitOptions,
  ): Promise<Stack>;
  /** Moves the sandbox clock until the stack is no longer `*_IN_PROGRESS`. */
  waitForStack(
    account: SandboxAccount | string,
    region: string,
    stackIdOrName: string,
    wait?: StackWaitOptions,
  ): Promise<Stack>;
  /** Every item of the table (tests may scan; production code never does). */
  scan(): Promise<Array<Record<string, unknown>>>;
}

const IN_PROGRESS = /_IN_PROGRESS$/;

/**
 * The whole local Stackfleet for an end-to-end test file: the real HTTP API, the sandbox (STS,
 * CloudFormation, Scheduler with IAM evaluation), the executor as the scheduler's target, on a
 * fresh table in the run's DynamoDB Local and a temp data dir, with a manual clock. Customer
 * template v1.0.0 is published on start. Start one per file (`beforeAll`) and `stop()` it in
 * `afterAll`; isolate tests from each other by account and Region (an integration is unique per
 * account+Region, and the template's role names carry the Region).
 *
 * ```ts
 * let stack: TestStack;
 * beforeAll(async () => (stack = await startTestStack()));
 * afterAll(() => stack.stop());
 * ```
 */
export async function startTestStack(
  options: Partial<Omit<LocalStackOptions, "dynamoEndpoint" | "tableName" | "dataDir">> = {},
): Promise<TestStack> {
  const dynamoEndpoint = inject("dynamoEndpoint");
  const host = new URL(dynamoEndpoint).hostname;
  if (host !== "127.0.0.1" && host !== "localhost")
    throw new Error(`Refusing non-local DynamoDB endpoint ${dynamoEndpoint}`);
  const tableName = `test-${randomUUID()}`;
  const dataDir = mkdtempSync(join(tmpdir(), "stackfleet-e2e-"));
  const errors: TestStack["errors"] = [];
  const log: Log = { ...silentLog, error: (message, fields) => void errors.push({ message, fields }) };

  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      dynamoEndpoint,
      tableName,
      dataDir,
      host: "127.0.0.1",
      apiPort: 0,
      sandboxPort: 0,
      clock: "manual",
      log,
      ...options,
    });
  } catch (e) {
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  // The stack created the dev key in its data dir: tokens signed with it are what it verifies.
  const authKey: DevAuthKey = await loadOrCreateDevAuthKey(dataDir);
  const dynamo = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: "local",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const clients = new Map<string, CloudFormationClient>();

  const accountOf = (account: SandboxAccount | string): SandboxAccount => {
    if (typeof account !== "string") return account;
    const found = stack.sandbox.accounts.find((a) => a.accountId === account);
    if (!found) throw new Error(`the sandbox has no account ${account}`);
    return found;
  };
  const cloudformation = (account: SandboxAccount | string, region: string) => {
    const resolved = accountOf(account);
    const key = `${resolved.accountId}/${region}`;
    let client = clients.get(key);
    if (!client)
      clients.set(
        key,
        (client = new CloudFormationClient({ ...stack.sandbox.clientConfig(resolved, region), maxAttempts: 1 })),
      );
    return client;
  };

  const waitForStack: TestStack["waitForStack"] = async (account, region, stackIdOrName, wait = {}) => {
    const deadline = Date.now() + (wait.deadlineMs ?? 60_000);
    const cfn = cloudformation(account, region);
    for (;;) {
      // Moving the clock runs due stack phases and waits for custom resource functions in flight.
      await stack.sandbox.control.advanceClock(wait.stepMs ?? 5_000);
      const found = (await cfn.send(new DescribeStacksCommand({ StackName: stackIdOrName }))).Stacks?.[0];
      if (found && !IN_PROGRESS.test(found.StackStatus ?? "")) return found;
      if (Date.now() > deadline)
        throw new Error(`${stackIdOrName} still ${found?.StackStatus} after ${wait.deadlineMs ?? 60_000} ms`);
      await new Promise((done) => setTimeout(done, 20));
    }
  };

  const createStack: TestStack["createStack"] = async (account, region, input, wait) => {
    const { StackId } = await cloudformation(account, region).send(
      new CreateStackCommand({ Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"], ...input }),
    );
    return waitForStack(account, region, StackId!, wait);
  };

  return {
    ...stack,
    tableName,
    dataDir,
    errors,
    async tokenFor(role, tenantId, tokenOptions = {}) {
      return issueDevToken({
        key: authKey,
        role,
        tenantId,
        subject: tokenOptions.subject,
        ttl: tokenOptions.ttl ?? "1h",
        now: () => stack.sandbox.clock.now(),
      });
    },
    async api(method, path, token, body) {
      const headers: Record<string, string> = {};
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const res = await fetch(`${stack.apiUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    cloudformation,
    async installFromQuickCreate(url, account, overrides = {}, wait) {
      const link = parseQuickCreateUrl(url);
      const parameters = new Map(link.parameters.map((p) => [p.ParameterKey!, p.ParameterValue!]));
      for (const [key, value] of Object.entries(overrides.parameters ?? {})) parameters.set(key, value);
      const stackName = overrides.stackName ?? link.stackName;
      if (!stackName) throw new Error("the link has no stackName; pass overrides.stackName");
      return createStack(
        account,
        overrides.region ?? link.region,
        {
          StackName: stackName,
          TemplateURL: link.templateUrl,
          Parameters: [...parameters].map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        },
        wait,
      );
    },
    createStack,
    async deleteStack(account, region, stackIdOrName, wait) {
      const cfn = cloudformation(account, region);
      // Resolve the id first: a deleted stack is describable by id only.
      const id =
        (await cfn.send(new DescribeStacksCommand({ StackName: stackIdOrName }))).Stacks?.[0]?.StackId ?? stackIdOrName;
      await cfn.send(new DeleteStackCommand({ StackName: id }));
      return waitForStack(account, region, id, wait);
    },
    waitForStack,
    scan: () => scanTable(dynamo, tableName),
    async stop() {
      for (const client of clients.values()) client.destroy();
      try {
        await stack.stop();
        // One DynamoDB Local serves the whole test run (in memory): a stopped stack's tables would
        // otherwise stay in its heap until the run ends — hundreds of them in a long model run.
        for (const TableName of [tableName, stack.updater.tableName])
          await dynamo.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
      } finally {
        dynamo.destroy();
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Creates an integration through core and installs its stack in the sandbox as the customer would,
 * from the install link, with auto-update on; the integration as registration left it.
 */
export async function installIntegration(
  stack: TestStack,
  tenantId: string,
  accountId: string,
  region: string,
): Promise<IntegrationRecord> {
  const created = await Integration.create(
    stack.deps,
    tenantId,
    `${stack.config.stackPrefix}-integration`,
    { accountId, region },
    `tenant:${tenantId}`,
  );
  const links = installLinks(stack.config, created, await Version.latestPublished(stack.deps));
  const installed = await stack.createStack(accountId, region, {
    StackName: created.stackName,
    TemplateURL: links!.templateUrl,
    Parameters: [
      { ParameterKey: "ExternalId", ParameterValue: created.externalId },
      { ParameterKey: "EnableAutoUpdate", ParameterValue: "true" },
    ],
  });
  if (installed.StackStatus !== "CREATE_COMPLETE") throw new Error(`install failed: ${installed.StackStatus}`);
  return (await Integration.getById(stack.deps, created.integrationId))!;
}

/**
 * An `afterAll` for a file that must not have made the API log an error (an unexpected 500):
 * stops the stack (if it started), then fails on what was logged.
 */
export async function stopExpectingNoErrors(stack: Pick<TestStack, "errors" | "stop"> | undefined): Promise<void> {
  if (!stack) return;
  const errors = [...stack.errors];
  await stack.stop();
  expect(errors).toEqual([]);
}
