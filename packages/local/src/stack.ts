import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConflictException, CreateScheduleGroupCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ServerType, serve } from "@hono/node-server";
import { stsAssumeProbe } from "@stackfleet/core/access/probe";
import { createDevVerifier, loadOrCreateDevAuthKey } from "@stackfleet/core/auth";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog";
import type { StackfleetConfig } from "@stackfleet/core/config";
import { ensureTable } from "@stackfleet/core/db/create-table";
import { createService } from "@stackfleet/core/db/service";
import { ulidIds } from "@stackfleet/core/id";
import { jsonLog, type Log } from "@stackfleet/core/log";
import { createLocalNotifier } from "@stackfleet/core/notify";
import { rolloutHooks } from "@stackfleet/core/rollout";
import { createEventBridgeRunScheduler, type RunScheduler } from "@stackfleet/core/schedule";
import { createLocalSigner, pinnedKeyOf } from "@stackfleet/core/signing";
import { type PolicyStatement, renderCustomerTemplate } from "@stackfleet/core/template/customer/index";
import { LocalTemplateStore } from "@stackfleet/core/template-store";
import { Publish, Version } from "@stackfleet/core/version";
import type { PublishContext } from "@stackfleet/core/version/publish";
import { createApp } from "@stackfleet/functions/api/app";
import type { ApiDeps } from "@stackfleet/functions/api/env";
import { createExecutorHandler } from "@stackfleet/functions/executor-handler";
import { rolloutInProcess } from "@stackfleet/functions/plan-continuation";
import { type Sandbox, type SandboxAccount, startSandbox } from "@stackfleet/sandbox/index";
import { executorAccess, seedExecutorRole } from "./executor-role";

export interface LocalStackOptions {
  dynamoEndpoint: string;
  tableName: string;
  /** Signing key, dev auth key and stored templates. */
  dataDir: string;
  host: string;
  apiPort: number;
  sandboxPort: number;
  /** `manual` for tests: time moves only when the test says (schedules, grace periods, expiry). */
  clock: "real" | "manual";
  startTime?: Date;
  /** Executor timings; tests shorten them. */
  executor?: { retryDelaysMs?: number[]; pollMs?: { initial: number; max: number }; invocationMs?: number };
  log?: Log;
}

export interface LocalStack {
  apiUrl: string;
  config: StackfleetConfig;
  sandbox: Sandbox;
  accounts: { vendor: SandboxAccount; updater: SandboxAccount; customers: SandboxAccount[] };
  deps: ApiDeps;
  scheduler: RunScheduler;
  executorArn: string;
  /** Read on every invocation: a test may shorten `invocationMs` to force a watch hand-over. */
  timings: { invocationMs: number };
  /** The customer template for this stack's vendor configuration, as a vendor would generate it. */
  customerTemplate(version: string, statements?: PolicyStatement[]): string;
  /** What `npm start` prints and writes to the state file. */
  stop(): Promise<void>;
}

/** Local stand-ins for what the updater stage would be in AWS (names only; the sandbox resolves them). */
const LOCAL = {
  region: "us-east-1",
  scheduleGroup: "stackfleet",
  executorRoleName: "stackfleet-local-executor",
  // Quick-create links need an https S3 URL; the sandbox resolves this one from the local store.
  templateBaseUrl: "https://stackfleet-local-templates.s3.us-east-1.amazonaws.com/templates",
};

/**
 * Stackfleet on one machine: the API, the executor as the scheduler's target, the sandbox standing
 * in for the vendor, updater and customer accounts — the production adapters throughout, pointed
 * at local endpoints. Used by `npm start` and by the end-to-end tests.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  mkdirSync(options.dataDir, { recursive: true });
  const log = options.log ?? jsonLog("stackfleet-local");
  const templates = new LocalTemplateStore(join(options.dataDir, "templates"));
  const sandbox = await startSandbox({
    port: options.sandboxPort,
    host: options.host,
    clock: options.clock,
    startTime: options.startTime,
    fetchTemplate: async (url) => {
      const sha = /\/([0-9a-f]{64})$/.exec(new URL(url).pathname)?.[1];
      if (!sha) throw new Error(`The sandbox only serves published templates; ${url} is not one`);
      return new TextDecoder().decode(await templates.get(sha));
    },
  });
  let server: ServerType | undefined;
  try {
    const byRole = (role: SandboxAccount["role"]) => sandbox.accounts.filter((a) => a.role === role);
    const accounts = { vendor: byRole("vendor")[0]!, updater: byRole("updater")[0]!, customers: byRole("customer") };
    const now = () => sandbox.clock.now();

    // The API listens first: its URL goes into the template's registration callback.
    let app: ReturnType<typeof createApp> | undefined;
    const listening = await new Promise<{ port: number }>((done, fail) => {
      server = serve(
        {
          fetch: (request) => (app ? app.fetch(request) : new Response("starting", { status: 503 })),
          port: options.apiPort,
          hostname: options.host,
        },
        done,
      );
      server.once("error", fail);
    });
    const apiUrl = `http://${options.host}:${listening.port}`;
    const config: StackfleetConfig = {
      vendorName: "Acme Security",
      product: "acme",
      stackPrefix: "Acme",
      vendorAccountId: accounts.vendor.accountId,
      updaterAccountId: accounts.updater.accountId,
      executorRoleName: LOCAL.executorRoleName,
      apiBaseUrl: apiUrl,
      templateBaseUrl: LOCAL.templateBaseUrl,
    };

    const dynamo = new DynamoDBClient({
      endpoint: options.dynamoEndpoint,
      region: "local",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await ensureTable(dynamo, options.tableName);
    const service = createService(
      DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      options.tableName,
    );
    const core = { service, now, newId: ulidIds(now) };

    const signer = await createLocalSigner(join(options.dataDir, "signing-key.pem"));
    const pinnedKeys = [await pinnedKeyOf(signer)];
    const publishing: PublishContext = {
      release: { signer, store: templates, pinnedKeys },
      product: config.product,
      stackPrefix: config.stackPrefix,
      grace: DEFAULT_GRACE_POLICY,
      manifestLifetimeDays: 90,
    };

    const executorRoleArn = seedExecutorRole(sandbox, accounts.updater, LOCAL.executorRoleName, config.stackPrefix);
    const executorArn = `arn:aws:lambda:${LOCAL.region}:${accounts.updater.accountId}:function:stackfleet-local-executor`;
    const schedulerClient = new SchedulerClient({
      ...sandbox.clientConfig(accounts.updater, LOCAL.region),
      maxAttempts: 1,
    });
    await schedulerClient.send(new CreateScheduleGroupCommand({ Name: LOCAL.scheduleGroup })).catch((e) => {
      if (!(e instanceof ConflictException)) throw e;
    });
    const scheduler = createEventBridgeRunScheduler(
      {
        groupName: LOCAL.scheduleGroup,
        executorArn,
        schedulerRoleArn: `arn:aws:iam::${accounts.updater.accountId}:role/stackfleet-local-scheduler`,
        deadLetterArn: `arn:aws:sqs:${LOCAL.region}:${accounts.updater.accountId}:stackfleet-local-dlq`,
      },
      { client: schedulerClient, now },
    );

    const notifier = createLocalNotifier({
      log: (line) => log.info("notification", { line }),
      file: join(options.dataDir, "notifications.jsonl"),
    });
    const rollout = rolloutInProcess(core, {
      scheduler,
      notifier,
      onError: (error) => log.error("planning continuation failed", { error: (error as Error).message }),
    });
    const timings = options.executor ?? {};
    const live = { invocationMs: timings.invocationMs ?? 900_000 };
    const handle = createExecutorHandler(
      core,
      {
        product: config.product,
        stackPrefix: config.stackPrefix,
        pinnedKeys,
        templates,
        access: executorAccess(sandbox, accounts.updater, executorRoleArn),
        scheduler,
        sourceIdentity: "stackfleet-executor",
        hooks: rolloutHooks(core, { scheduler, notifier }),
        retryDelaysMs: timings.retryDelaysMs ?? [3_600_000, 6 * 3_600_000, 24 * 3_600_000],
        throttleRetryMs: 5 * 60_000,
        safetyMarginMs: 1_000,
        pollMs: timings.pollMs ?? { initial: 1_000, max: 5_000 },
        // On a manual clock a poll's wait just moves time: stacks advance on the next call. (Firing
        // schedules from inside a firing would wait for itself.)
        sleep: async (ms) => {
          if (sandbox.clock.kind === "manual") sandbox.clock.advance(ms);
          else await new Promise((done) => setTimeout(done, ms));
        },
      },
      notifier,
    );
    // Invoked as Lambda would be: asynchronously, with the schedule's input as the event.
    sandbox.targets.register(executorArn, async (input) => {
      const started = Date.now();
      await handle(JSON.parse(input), {
        remainingMs: () => live.invocationMs - (Date.now() - started),
        log: options.log ?? jsonLog("stackfleet-executor"),
      });
    });

    const authKey = await loadOrCreateDevAuthKey(options.dataDir);
    const deps: ApiDeps = {
      ...core,
      tableName: options.tableName,
      auth: createDevVerifier(authKey, now),
      config,
      access: {
        probe: stsAssumeProbe(new STSClient(sandbox.clientConfig(accounts.vendor, LOCAL.region))),
        stackPrefix: config.stackPrefix,
        proof: { backoffMs: 200 },
      },
      publishing,
      rollout,
    };
    app = createApp(deps, { log: { error: (message, details) => log.error(message, details) } });

    const customerTemplate = (version: string, statements: PolicyStatement[] = []) =>
      renderCustomerTemplate(
        {
          vendorName: config.vendorName,
          product: config.product,
          stackPrefix: config.stackPrefix,
          vendorAccountId: config.vendorAccountId,
          updaterAccountId: config.updaterAccountId,
          executorRoleName: config.executorRoleName,
          callbackUrl: `${apiUrl}/v1/callbacks/registration`,
          allowInsecureCallback: true,
          productPolicy: { managedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit"], statements },
          templateVersion: version,
        },
        "yaml",
      );
    // The first run publishes the customer template v1, so there is something to install.
    if (!(await Version.latest(core))) {
      await Publish.publish(
        core,
        publishing,
        { templateBytes: new TextEncoder().encode(customerTemplate("1.0.0")), version: "1.0.0" },
        "system:bootstrap",
      );
    }

    return {
      apiUrl,
      config,
      sandbox,
      accounts,
      deps,
      scheduler,
      executorArn,
      timings: live,
      customerTemplate,
      async stop() {
        await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
        await rollout.idle();
        await sandbox.stop();
        dynamo.destroy();
        schedulerClient.destroy();
      },
    };
  } catch (e) {
    server?.close();
    await sandbox.stop();
    throw e;
  }
}
