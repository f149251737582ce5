import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConflictException, CreateScheduleGroupCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { type ServerType, serve } from "@hono/node-server";
import { stsAssumeProbe } from "@stackfleet/core/access/probe";
import { DEFAULT_GRACE_POLICY, type GracePolicy } from "@stackfleet/core/changelog";
import type { StackfleetConfig } from "@stackfleet/core/config";
import { ensureTable } from "@stackfleet/core/db/create-table";
import { jsonLog, type Log } from "@stackfleet/core/log";
import type { RunScheduler } from "@stackfleet/core/schedule";
import { type PinnedKey, pinnedKeyOf } from "@stackfleet/core/signing";
import type { SweepCounts } from "@stackfleet/core/sweeper";
import { type PolicyStatement, renderCustomerTemplate } from "@stackfleet/core/template/customer/index";
import { HOUR_MS } from "@stackfleet/core/time";
import { announceImages } from "@stackfleet/core/updater/announce";
import { ensureUpdaterTable } from "@stackfleet/core/updater/create-table";
import type { UpdaterStore } from "@stackfleet/core/updater/store";
import { Publish, Version } from "@stackfleet/core/version";
import type { createApp } from "@stackfleet/functions/api/app";
import type { ApiDeps } from "@stackfleet/functions/api/env";
import { rolloutInProcess } from "@stackfleet/functions/plan-continuation";
import { wireApi } from "@stackfleet/functions/wiring/api";
import { wireExecutor } from "@stackfleet/functions/wiring/executor";
import { runScheduler } from "@stackfleet/functions/wiring/scheduler";
import { wireSweeper } from "@stackfleet/functions/wiring/sweeper";
import { type Sandbox, type SandboxAccount, startSandbox } from "@stackfleet/sandbox/index";
import { createDevVerifier, loadOrCreateDevAuthKey } from "./dev/auth-key";
import { localApprover } from "./dev/local-approver";
import { waitOnManualClock } from "./dev/manual-wait";
import { createLocalNotifier } from "./dev/notifier";
import { createLocalSigner } from "./dev/signer";
import { LocalTemplateStore } from "./dev/template-store";
import { localTableStream } from "./dev/version-stream";
import { executorAccess, seedExecutorRole } from "./executor-role";

export interface LocalStackOptions {
  dynamoEndpoint: string;
  tableName: string;
  /** Signing key, dev auth key and stored templates. */
  dataDir: string;
  host: string;
  apiPort: number;
  sandboxPort: number;
  /**
   * One clock for the API, the executor, the sandbox and its Scheduler. `manual`: time moves only
   * when told (`sandbox.control.advanceClock`, `stackfleet clock advance`); `real` runs, and the
   * same call jumps it ahead.
   */
  clock: "real" | "manual";
  startTime?: Date;
  /** One grace period (ms) for every version published here, broadening or not; default production's. */
  graceMs?: number;
  /** Keep the sandbox's stacks, roles, schedules (and a moved clock) in `dataDir/sandbox` across restarts. */
  persistSandbox?: boolean;
  /**
   * What bearer tokens' expiry is checked against. `npm start` uses the wall clock: people and the
   * CLI mint tokens in wall time, and `clock advance 25h` must not expire them. Tests mint tokens on
   * the sandbox clock (the default).
   */
  tokenClock?: "sandbox" | "wall";
  /** Executor timings; tests shorten them. */
  executor?: {
    retryDelaysMs?: number[];
    pollMs?: { initial: number; max: number };
    invocationMs?: number;
    /** The executor's minimum grace since it first saw a version (default `graceMs`, else 24 h). */
    minGraceMs?: number;
    /** Approver keys the executor and the API pin for broadening versions (default: the local approver key). */
    approverKeys?: PinnedKey[];
    /**
     * The local approver co-signs every broadening version as it is published (default true), so
     * one-step local publishing still updates; false: broadening versions wait for an approval.
     */
    autoApprove?: boolean;
  };
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
  /** The updater-owned table (first-seen, high-water marks, emergency stop) the executor reads. */
  updater: UpdaterStore;
  /** Read on every invocation: a test may shorten `invocationMs` to force a watch hand-over. */
  timings: { invocationMs: number };
  /** One sweeper pass now (`npm start` runs one every 5 minutes): lost runs and notifications re-delivered. */
  sweep(): Promise<SweepCounts>;
  /** The customer template for this stack's vendor configuration, as a vendor would generate it. */
  customerTemplate(version: string, statements?: PolicyStatement[]): string;
  /** What `npm start` prints and writes to the state file. */
  stop(): Promise<void>;
}

/** Local stand-ins for what the updater stage would be in AWS (names only; the sandbox resolves them). */
const LOCAL = {
  region: "us-east-1",
  executorRoleName: "stackfleet-local-executor",
  // Quick-create links need an https S3 URL; the sandbox resolves this one from the local store.
  templateBaseUrl: "https://stackfleet-local-templates.s3.us-east-1.amazonaws.com/templates",
};

const localSchedule = (updaterAccountId: string) => ({
  groupName: "stackfleet",
  executorArn: `arn:aws:lambda:${LOCAL.region}:${updaterAccountId}:function:stackfleet-local-executor`,
  schedulerRoleArn: `arn:aws:iam::${updaterAccountId}:role/stackfleet-local-scheduler`,
  deadLetterArn: `arn:aws:sqs:${LOCAL.region}:${updaterAccountId}:stackfleet-local-dlq`,
});

/** Production's policy, or one short grace for every local version (`npm start -- --grace 2m`). */
const gracePolicy = (graceMs: number | undefined): GracePolicy =>
  graceMs === undefined
    ? DEFAULT_GRACE_POLICY
    : { ...DEFAULT_GRACE_POLICY, defaultHours: graceMs / HOUR_MS, broadeningHours: graceMs / HOUR_MS };

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
    ...(options.persistSandbox && { dataDir: join(options.dataDir, "sandbox") }),
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
          // The env carries the socket: the callback route's rate limit keys on the caller's address.
          fetch: (request, env) => (app ? app.fetch(request, env) : new Response("starting", { status: 503 })),
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
    // The updater's own table, and the stand-in for the main table's stream that announces versions to it.
    const updaterTable = `${options.tableName}-updater`;
    await ensureUpdaterTable(dynamo, updaterTable);
    const table = {
      documentClient: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      now,
    };
    const updater: UpdaterStore = { client: table.documentClient, tableName: updaterTable, now };
    const stream = localTableStream(dynamo, options.tableName, (error) =>
      log.error("a consumer of the local table stream failed", { error: (error as Error).message }),
    );
    stream.subscribe((images) => announceImages(updater, images));
    const signer = await createLocalSigner(join(options.dataDir, "signing-key.pem"));
    // The local security team's key: pinned as the approver (never the release key) unless a test pins its own.
    const approver = await createLocalSigner(join(options.dataDir, "approver-key.pem"));
    const approverKeys = options.executor?.approverKeys ?? [await pinnedKeyOf(approver)];
    const pinnedKeys = [await pinnedKeyOf(signer)];

    const executorRoleArn = seedExecutorRole(sandbox, accounts.updater, LOCAL.executorRoleName, config.stackPrefix);
    const schedule = localSchedule(accounts.updater.accountId);
    const schedulerClient = new SchedulerClient({
      ...sandbox.clientConfig(accounts.updater, LOCAL.region),
      maxAttempts: 1,
    });
    await schedulerClient.send(new CreateScheduleGroupCommand({ Name: schedule.groupName })).catch((e) => {
      if (!(e instanceof ConflictException)) throw e;
    });
    const notifier = createLocalNotifier({
      log: (line) => log.info("notification", { line }),
      file: join(options.dataDir, "notifications.jsonl"),
    });

    // The Lambdas' own wiring, with local adapters in place of the AWS ones.
    const timings = options.executor ?? {};
    const live = { invocationMs: timings.invocationMs ?? 900_000 };
    const executor = wireExecutor(
      {
        product: config,
        tableName: options.tableName,
        pinnedKeys,
        schedule,
        floor: {
          updaterTable,
          minGraceHours: (timings.minGraceMs ?? options.graceMs ?? 24 * HOUR_MS) / HOUR_MS,
          approverKeys,
        },
      },
      {
        ...table,
        templates,
        access: executorAccess(sandbox, accounts.updater, executorRoleArn),
        schedulerClient,
        notifier,
        timings: {
          safetyMarginMs: 1_000,
          pollMs: timings.pollMs ?? { initial: 1_000, max: 5_000 },
          ...(timings.retryDelaysMs ? { retryDelaysMs: timings.retryDelaysMs } : {}),
        },
        // On a manual clock a wait moves time and lets the stacks catch up (firing schedules from
        // inside a firing would wait for itself).
        sleep: async (ms) => {
          if (sandbox.clock.kind === "manual") await waitOnManualClock(sandbox.clock, sandbox.engine, ms);
          else await new Promise((done) => setTimeout(done, ms));
        },
      },
    );
    // Invoked as Lambda would be: asynchronously, with the schedule's input as the event.
    const invokeExecutor = async (input: string) => {
      const started = Date.now();
      await executor.handle(JSON.parse(input), {
        remainingMs: () => live.invocationMs - (Date.now() - started),
        log: options.log ?? jsonLog("stackfleet-executor"),
      });
    };
    sandbox.targets.register(schedule.executorArn, invokeExecutor);
    // The sweeper re-delivers to the same executor, as the Lambda invokes it in AWS.
    const sweeper = wireSweeper(
      { tableName: options.tableName },
      { ...table, notifier, redeliver: (runId) => invokeExecutor(JSON.stringify({ runId })) },
    );

    const authKey = await loadOrCreateDevAuthKey(options.dataDir);
    let planner: ReturnType<typeof rolloutInProcess> | undefined;
    const api = wireApi(
      {
        product: config,
        tableName: options.tableName,
        grace: gracePolicy(options.graceMs),
        manifestLifetimeDays: 90,
        pinnedApproverKeys: approverKeys,
      },
      {
        ...table,
        auth: createDevVerifier(authKey, options.tokenClock === "wall" ? undefined : now),
        access: {
          probe: stsAssumeProbe(new STSClient(sandbox.clientConfig(accounts.vendor, LOCAL.region)), {
            endpoint: sandbox.endpoint,
            maxAttempts: 1,
          }),
          proof: { backoffMs: 200 },
        },
        release: { signer, store: templates, pinnedKeys },
        planner: (core) =>
          (planner = rolloutInProcess(core, {
            scheduler: runScheduler(schedule, schedulerClient, now),
            notifier,
            onError: (error) => log.error("planning continuation failed", { error: (error as Error).message }),
          })),
        log: { error: (message, details) => log.error(message, details) },
      },
    );
    const { deps } = api;
    if (options.executor?.autoApprove !== false) stream.subscribe(localApprover(deps, approver, approverKeys));
    app = api.app;

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
    if (!(await Version.latest(deps))) {
      await Publish.publish(
        deps,
        deps.publishing,
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
      scheduler: executor.scheduler,
      executorArn: schedule.executorArn,
      updater,
      timings: live,
      sweep: () => sweeper.sweep(log),
      customerTemplate,
      async stop() {
        await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
        await planner?.idle();
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
