import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { StackfleetConfig } from "@stackfleet/core/config";
import { jsonLog, type Log } from "@stackfleet/core/log";
import type { Notification } from "@stackfleet/core/notify/notifier";
import type { RunScheduler } from "@stackfleet/core/schedule";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import type { SweepCounts } from "@stackfleet/core/sweeper";
import type { PolicyStatement } from "@stackfleet/core/template/customer/index";
import type { UpdaterStore } from "@stackfleet/core/updater/store";
import type { ApiDeps } from "@stackfleet/functions/api/env";
import { type Sandbox, type SandboxAccount, startSandbox } from "@stackfleet/sandbox/index";
import { type ApiServer, listenForApi } from "./api-server";
import { localApprover } from "./dev/local-approver";
import { createLocalNotifier } from "./dev/notifier";
import { createLocalSigner } from "./dev/signer";
import { LocalTemplateStore } from "./dev/template-store";
import { localCustomerTemplate, publishFirstVersion, wireLocalApi } from "./local-api";
import { LOCAL, localSchedule, localSchedulerClient, startLocalTables } from "./local-aws";
import { type LocalExecutorOptions, wireLocalExecutor } from "./local-executor";

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
  executor?: LocalExecutorOptions;
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
  /** Every customer notification published so far, in order (the local stand-in for the SNS topic). */
  notifications: readonly Notification[];
  /**
   * One sweeper pass now (`npm start` runs one every 5 minutes): the sandbox's new dead letters
   * drained, lost runs and notifications re-delivered.
   */
  sweep(): Promise<SweepCounts>;
  /** The customer template for this stack's vendor configuration, as a vendor would generate it. */
  customerTemplate(version: string, statements?: PolicyStatement[]): string;
  /** What `npm start` prints and writes to the state file. */
  stop(): Promise<void>;
}

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
  let server: ApiServer | undefined;
  try {
    const byRole = (role: SandboxAccount["role"]) => sandbox.accounts.filter((a) => a.role === role);
    const accounts = { vendor: byRole("vendor")[0]!, updater: byRole("updater")[0]!, customers: byRole("customer") };
    server = await listenForApi(options.host, options.apiPort);
    const config: StackfleetConfig = {
      vendorName: "Acme Security",
      product: "acme",
      stackPrefix: "Acme",
      vendorAccountId: accounts.vendor.accountId,
      updaterAccountId: accounts.updater.accountId,
      executorRoleName: LOCAL.executorRoleName,
      apiBaseUrl: server.apiUrl,
      templateBaseUrl: LOCAL.templateBaseUrl,
    };
    const tables = await startLocalTables(options.dynamoEndpoint, options.tableName, () => sandbox.clock.now(), log);
    const signer = await createLocalSigner(join(options.dataDir, "signing-key.pem"));
    // The local security team's key: pinned as the approver (never the release key) unless a test pins its own.
    const approver = await createLocalSigner(join(options.dataDir, "approver-key.pem"));
    const approverKeys = options.executor?.approverKeys ?? [await pinnedKeyOf(approver)];
    const pinnedKeys = [await pinnedKeyOf(signer)];
    const schedule = localSchedule(accounts.updater.accountId);
    const schedulerClient = await localSchedulerClient(sandbox, accounts.updater, schedule.groupName);
    const notifier = createLocalNotifier({
      log: (line) => log.info("notification", { line }),
      file: join(options.dataDir, "notifications.jsonl"),
    });
    // The Lambdas' own wiring, with local adapters in place of the AWS ones.
    const shared = { config, tableName: options.tableName, tables, sandbox, templates, schedule, schedulerClient };
    const wiring = { ...shared, notifier, pinnedKeys, approverKeys, graceMs: options.graceMs };
    const executor = wireLocalExecutor({
      ...wiring,
      updaterAccount: accounts.updater,
      options: options.executor ?? {},
      log: options.log,
    });
    const api = await wireLocalApi({
      ...wiring,
      dataDir: options.dataDir,
      vendorAccount: accounts.vendor,
      signer,
      wallClockTokens: options.tokenClock === "wall",
      log,
    });
    const { deps } = api;
    if (options.executor?.autoApprove !== false) tables.stream.subscribe(localApprover(deps, approver, approverKeys));
    server.mount(api.app);
    const customerTemplate = localCustomerTemplate(config);
    await publishFirstVersion(deps, customerTemplate);

    const listening = server;
    let deadLettersDrained = 0;
    return {
      apiUrl: server.apiUrl,
      config,
      sandbox,
      accounts,
      deps,
      scheduler: executor.scheduler,
      executorArn: schedule.executorArn,
      updater: tables.updater,
      timings: executor.timings,
      notifications: notifier.delivered,
      sweep: async () => {
        // The dead-letter queue's trigger, locally: what the sandbox could not deliver is drained
        // first, and counted as drained only once the sweeper took it (a failure keeps it, as SQS would).
        const letters = sandbox.targets.deadLetters().slice(deadLettersDrained);
        if (letters.length > 0)
          await executor.sweeper.handle({ Records: letters.map((l) => ({ body: l.input })) }, { log });
        deadLettersDrained += letters.length;
        return executor.sweeper.sweep(log);
      },
      customerTemplate,
      async stop() {
        await listening.close();
        await api.plannerIdle();
        await sandbox.stop();
        tables.dynamo.destroy();
        schedulerClient.destroy();
      },
    };
  } catch (e) {
    void server?.close();
    await sandbox.stop();
    throw e;
  }
}
