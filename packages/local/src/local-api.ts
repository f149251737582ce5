import type { SchedulerClient } from "@aws-sdk/client-scheduler";
import { STSClient } from "@aws-sdk/client-sts";
import { stsAssumeProbe } from "@stackfleet/core/access/probe";
import { DEFAULT_GRACE_POLICY, type GracePolicy } from "@stackfleet/core/changelog";
import type { StackfleetConfig } from "@stackfleet/core/config";
import type { Log } from "@stackfleet/core/log";
import type { Notifier } from "@stackfleet/core/notify";
import type { PinnedKey } from "@stackfleet/core/signing";
import { type PolicyStatement, renderCustomerTemplate } from "@stackfleet/core/template/customer/index";
import { HOUR_MS } from "@stackfleet/core/time";
import { Publish, Version } from "@stackfleet/core/version";
import type { ApiDeps } from "@stackfleet/functions/api/env";
import { rolloutInProcess } from "@stackfleet/functions/plan-continuation";
import { wireApi } from "@stackfleet/functions/wiring/api";
import { runScheduler } from "@stackfleet/functions/wiring/scheduler";
import type { Sandbox, SandboxAccount } from "@stackfleet/sandbox/index";
import { createDevVerifier, loadOrCreateDevAuthKey } from "./dev/auth-key";
import type { LocalKeySigner } from "./dev/signer";
import type { LocalTemplateStore } from "./dev/template-store";
import { LOCAL, type LocalSchedule, type LocalTables } from "./local-aws";

export interface LocalApiInput {
  config: StackfleetConfig;
  tableName: string;
  dataDir: string;
  tables: LocalTables;
  sandbox: Sandbox;
  vendorAccount: SandboxAccount;
  templates: LocalTemplateStore;
  signer: LocalKeySigner;
  pinnedKeys: PinnedKey[];
  approverKeys: PinnedKey[];
  schedule: LocalSchedule;
  schedulerClient: SchedulerClient;
  notifier: Notifier;
  graceMs?: number;
  /** Checks token expiry on the wall clock instead of the sandbox's. */
  wallClockTokens: boolean;
  log: Log;
}

/** Production's policy, or one short grace for every local version (`npm start -- --grace 2m`). */
const gracePolicy = (graceMs: number | undefined): GracePolicy =>
  graceMs === undefined
    ? DEFAULT_GRACE_POLICY
    : { ...DEFAULT_GRACE_POLICY, defaultHours: graceMs / HOUR_MS, broadeningHours: graceMs / HOUR_MS };

/** The API Lambda's own wiring with the dev auth key, the local signer and the sandbox's STS. */
export async function wireLocalApi(input: LocalApiInput) {
  const { config, sandbox, log } = input;
  const authKey = await loadOrCreateDevAuthKey(input.dataDir);
  const now = input.tables.table.now;
  let planner: ReturnType<typeof rolloutInProcess> | undefined;
  const api = wireApi(
    {
      product: config,
      tableName: input.tableName,
      grace: gracePolicy(input.graceMs),
      manifestLifetimeDays: 90,
      pinnedApproverKeys: input.approverKeys,
    },
    {
      ...input.tables.table,
      auth: createDevVerifier(authKey, input.wallClockTokens ? undefined : now),
      access: {
        probe: stsAssumeProbe(new STSClient(sandbox.clientConfig(input.vendorAccount, LOCAL.region)), {
          endpoint: sandbox.endpoint,
          maxAttempts: 1,
        }),
        proof: { backoffMs: 200 },
      },
      release: { signer: input.signer, store: input.templates, pinnedKeys: input.pinnedKeys },
      planner: (core) =>
        (planner = rolloutInProcess(core, {
          scheduler: runScheduler(input.schedule, input.schedulerClient, now),
          notifier: input.notifier,
          onError: (error) => log.error("planning continuation failed", { error: (error as Error).message }),
        })),
      log: { error: (message, details) => log.error(message, details) },
    },
  );
  return { ...api, plannerIdle: async () => planner?.idle() };
}

/** The customer template for this stack's vendor configuration, as a vendor would generate it. */
export const localCustomerTemplate =
  (config: StackfleetConfig) =>
  (version: string, statements: PolicyStatement[] = []): string =>
    renderCustomerTemplate(
      {
        vendorName: config.vendorName,
        product: config.product,
        stackPrefix: config.stackPrefix,
        vendorAccountId: config.vendorAccountId,
        updaterAccountId: config.updaterAccountId,
        executorRoleName: config.executorRoleName,
        callbackUrl: `${config.apiBaseUrl}/v1/callbacks/registration`,
        allowInsecureCallback: true,
        productPolicy: { managedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit"], statements },
        templateVersion: version,
      },
      "yaml",
    );

/** The first run publishes the customer template v1, so there is something to install. */
export async function publishFirstVersion(deps: ApiDeps, template: (version: string) => string): Promise<void> {
  if (await Version.latest(deps)) return;
  await Publish.publish(
    deps,
    deps.publishing,
    { templateBytes: new TextEncoder().encode(template("1.0.0")), version: "1.0.0" },
    "system:bootstrap",
  );
}
