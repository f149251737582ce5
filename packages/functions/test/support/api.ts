import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateScheduleGroupCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import type { AssumeProbe } from "@stackfleet/core/access/probe";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog";
import type { StackfleetConfig } from "@stackfleet/core/config";
import type { Deps } from "@stackfleet/core/context";
import type { Notification } from "@stackfleet/core/notify";
import { createEventBridgeRunScheduler } from "@stackfleet/core/schedule";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import { type PolicyStatement, renderCustomerTemplate } from "@stackfleet/core/template/customer/index";
import type { PublishContext } from "@stackfleet/core/version/publish";
import { createLocalNotifier } from "@stackfleet/local/dev/notifier";
import { createLocalSigner } from "@stackfleet/local/dev/signer";
import { LocalTemplateStore } from "@stackfleet/local/dev/template-store";
import { type Sandbox, startSandbox } from "@stackfleet/sandbox/index";
import { type ConnectedPatch, recordConnected } from "../../../../test/support/integrations";
import { createTestStore, type TestStore } from "../../../../test/support/store";
import { createApp } from "../../src/api/app";
import type { ApiDeps } from "../../src/api/env";
import { rolloutInProcess } from "../../src/plan-continuation";
import { createTestAuth, type TestAuth } from "./auth";

export const testConfig: StackfleetConfig = {
  vendorName: "Acme Security",
  product: "acme",
  stackPrefix: "Acme",
  vendorAccountId: "111111111111",
  updaterAccountId: "222222222222",
  executorRoleName: "stackfleet-executor",
  apiBaseUrl: "https://api.acme.test",
  templateBaseUrl: "https://acme-templates.s3.eu-west-1.amazonaws.com/templates",
};

/** The customer template a vendor with `testConfig` would generate, at `version`. */
export const testTemplate = (templateVersion: string, statements: PolicyStatement[] = []) =>
  renderCustomerTemplate(
    {
      vendorName: testConfig.vendorName,
      product: testConfig.product,
      stackPrefix: testConfig.stackPrefix,
      vendorAccountId: testConfig.vendorAccountId,
      updaterAccountId: testConfig.updaterAccountId,
      executorRoleName: testConfig.executorRoleName,
      callbackUrl: `${testConfig.apiBaseUrl}/v1/callbacks/registration`,
      productPolicy: { managedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit"], statements },
      templateVersion,
    },
    "yaml",
  );

/** Denies everything: routes that need a trust proof must get a real probe from the test. */
const denyAll: AssumeProbe = {
  tryAssume: async () => ({ kind: "denied", message: "no sandbox in this test" }),
  readStack: async () => ({ kind: "denied", message: "no sandbox in this test" }),
};

export interface TestApi extends TestAuth {
  app: ReturnType<typeof createApp>;
  store: TestStore;
  deps: ApiDeps;
  errors: unknown[];
  /** The sandbox Scheduler this app's schedules live in, in their own group. */
  scheduler: { sandbox: Sandbox; client: SchedulerClient; group: string };
  /** What the local notifier delivered. */
  notifications: Notification[];
}

const UPDATER = testConfig.updaterAccountId;
const SCHEDULE_REGION = "eu-west-1";
let sharedSandbox: Promise<Sandbox> | undefined;

/**
 * One sandbox per test file (process), on a manual clock nobody advances here: API tests look at
 * the schedules, they do not fire them. Each app gets its own schedule group.
 */
async function schedulerFor(now: () => Date) {
  sharedSandbox ??= startSandbox({ port: 0, clock: "manual" });
  const sandbox = await sharedSandbox;
  const client = new SchedulerClient({ ...sandbox.clientConfig(UPDATER, SCHEDULE_REGION), maxAttempts: 1 });
  const group = `stackfleet-${randomUUID().slice(0, 8)}`;
  await client.send(new CreateScheduleGroupCommand({ Name: group }));
  const runScheduler = createEventBridgeRunScheduler(
    {
      groupName: group,
      executorArn: `arn:aws:lambda:${SCHEDULE_REGION}:${UPDATER}:function:stackfleet-executor`,
      schedulerRoleArn: `arn:aws:iam::${UPDATER}:role/stackfleet-scheduler`,
      deadLetterArn: `arn:aws:sqs:${SCHEDULE_REGION}:${UPDATER}:stackfleet-dlq`,
    },
    { client, now, backoff: { sleep: async () => {} } },
  );
  return { sandbox, client, group, runScheduler };
}

/** Signing with a fresh local P-256 key file, templates in a temp folder — the local runtime's setup. */
export async function createTestPublishing(): Promise<PublishContext> {
  const dir = mkdtempSync(join(tmpdir(), "stackfleet-publish-"));
  const signer = await createLocalSigner(join(dir, "signing-key.pem"));
  return {
    release: { signer, store: new LocalTemplateStore(join(dir, "templates")), pinnedKeys: [await pinnedKeyOf(signer)] },
    product: testConfig.product,
    stackPrefix: testConfig.stackPrefix,
    grace: DEFAULT_GRACE_POLICY,
    manifestLifetimeDays: 90,
  };
}

/** The real app over a fresh DynamoDB Local table, a test signing key and a test config. */
export async function createTestApi(overrides: Partial<ApiDeps> & { probe?: AssumeProbe } = {}): Promise<TestApi> {
  const store = await createTestStore();
  const auth = await createTestAuth(store.now);
  const { probe, ...rest } = overrides;
  const scheduling = await schedulerFor(store.now);
  const notifier = createLocalNotifier();
  const deps: ApiDeps = {
    ...store,
    tableName: store.tableName,
    auth: auth.auth,
    config: testConfig,
    access: { probe: probe ?? denyAll, stackPrefix: testConfig.stackPrefix, proof: { sleep: async () => {} } },
    publishing: rest.publishing ?? (await createTestPublishing()),
    rollout: rolloutInProcess(store, { scheduler: scheduling.runScheduler, notifier }),
    ...rest,
  };
  const errors: unknown[] = [];
  const app = createApp(deps, { log: { error: (_, details) => errors.push(details) } });
  return {
    ...auth,
    app,
    store,
    deps,
    errors,
    scheduler: { sandbox: scheduling.sandbox, client: scheduling.client, group: scheduling.group },
    notifications: notifier.delivered,
  };
}

/**
 * An integration in `connected` state at 1.0.0 (or as `patch` says), holding its account guard
 * as a successful registration would (see core's integration/account-claim.ts).
 */
export async function connectedIntegration(
  deps: Deps,
  tenantId: string,
  accountId: string,
  patch: Record<string, unknown> = {},
): Promise<string> {
  const done = await recordConnected(deps, tenantId, accountId, "eu-west-1", patch as ConnectedPatch);
  await deps.service.entities.accountGuard
    .create({ accountId, region: "eu-west-1", integrationId: done.integrationId })
    .go();
  return done.integrationId;
}

/** `app.request` with `body`, when given, sent as JSON. */
export const callApi = (
  app: TestApi["app"],
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) =>
  app.request(
    path,
    body === undefined
      ? { method, headers }
      : { method, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) },
  );
