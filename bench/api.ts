// API benchmark: the integration-detail route and a list route against a bare Hono route, served
// by the same process in the same run, on DynamoDB Local. Each route gets a fixed arrival rate
// (autocannon in its own process, so the server's CPU is its own); reports p50/p99 latency, the
// ratio to the bare route, the server's CPU per request and the DynamoDB requests per route.
//   npx tsx bench/api.ts [rate=200] [seconds=20] [versions=12] [integrations=200]
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { serve } from "@hono/node-server";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog";
import { ensureTable } from "@stackfleet/core/db/create-table";
import { Integration } from "@stackfleet/core/integration";
import { Run } from "@stackfleet/core/run";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import { renderCustomerTemplate } from "@stackfleet/core/template/customer/index";
import { Publish } from "@stackfleet/core/version";
import { schedulerNotConfigured } from "@stackfleet/functions/wiring/scheduler";
import { createDevVerifier, generateDevAuthKey, issueDevToken } from "@stackfleet/local/dev/auth-key";
import { createLocalNotifier } from "@stackfleet/local/dev/notifier";
import { createLocalSigner } from "@stackfleet/local/dev/signer";
import { LocalTemplateStore } from "@stackfleet/local/dev/template-store";
import { startDynamoDbLocal } from "@stackfleet/local/dynamodb";
import type { Result } from "autocannon";
import { Hono } from "hono";
import { wireApi } from "../packages/functions/src/wiring/api";

const RATE = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 20);
const VERSIONS = Number(process.argv[4] ?? 12);
const INTEGRATIONS = Number(process.argv[5] ?? 200);
const TENANT = "ten_bench";
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

const dynamo = await startDynamoDbLocal();
const client = new DynamoDBClient({
  endpoint: dynamo.endpoint,
  region: "local",
  credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
});
const tableName = "bench-api";
await ensureTable(client, tableName);
const documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
const sent: string[] = [];
const send = documentClient.send.bind(documentClient) as (...args: unknown[]) => Promise<unknown>;
documentClient.send = ((command: object, ...rest: unknown[]) => {
  sent.push(command.constructor.name.replace(/Command$/, ""));
  return send(command, ...rest);
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
    release: { signer, store: new LocalTemplateStore(join(dir, "templates")), pinnedKeys: [await pinnedKeyOf(signer)] },
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

// The data: VERSIONS published versions, INTEGRATIONS connected at the first, one of them with a
// waiting update to the newest (and the events that come with it).
console.error(`seeding ${VERSIONS} versions and ${INTEGRATIONS} integrations…`);
const versions = [];
for (let i = 0; i < VERSIONS; i++) {
  const version = `1.${i}.0`;
  versions.push(
    await Publish.publish(
      deps,
      deps.publishing,
      { templateBytes: new TextEncoder().encode(template(version)), version },
      "operator:bench",
    ),
  );
}
const first = versions[0]!;
const newest = versions.at(-1)!;
const ids: string[] = [];
for (let i = 0; i < INTEGRATIONS; i++) {
  const accountId = String(300_000_000_000 + i);
  const created = await Integration.create(
    deps,
    TENANT,
    "Acme-integration",
    { accountId, region: "eu-west-1" },
    `tenant:${TENANT}`,
  );
  await Integration.update(
    deps,
    created,
    { status: "connected", currentVersion: first.version, currentSequence: first.sequence },
    { actor: "customer-stack", action: "integration.connected" },
  );
  ids.push(created.integrationId);
}
const subject = ids[0]!;
await Run.create(
  deps,
  {
    integrationId: subject,
    tenantId: TENANT,
    version: newest.version,
    sequence: newest.sequence,
    attempt: 1,
    scheduledFor: new Date(newest.graceEndsAt),
  },
  { actor: "system:planner", action: "update.scheduled", notify: true },
);

const bare = new Hono().get("/bare", (c) => c.json({ ok: true }));
const server = serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (request, env) => (new URL(request.url).pathname === "/bare" ? bare.fetch(request) : app.fetch(request, env)),
});
await new Promise((done) => server.once("listening", done));
const address = server.address();
const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
const token = await issueDevToken({ key: authKey, ttl: "2h", role: "tenant-admin", tenantId: TENANT });
const headers = { authorization: `Bearer ${token}` };

const routes = [
  { name: "bare Hono route", path: "/bare" },
  { name: "integration detail", path: `/v1/integrations/${subject}` },
  { name: "integration list (page of 50)", path: "/v1/integrations" },
];

const operatorToken = await issueDevToken({ key: authKey, ttl: "2h", role: "operator", subject: "ops@bench" });
const operator = { authorization: `Bearer ${operatorToken}` };
/** Read routes whose DynamoDB requests are counted (not loaded). */
const counted = [
  { path: `/v1/integrations/${subject}/events`, as: headers },
  { path: "/v1/events", as: headers },
  { path: "/v1/versions", as: operator },
  { path: `/v1/versions/${newest.version}`, as: operator },
  { path: `/v1/rollouts/${newest.version}`, as: operator },
  { path: "/v1/controls", as: operator },
  { path: "/v1/fleet/tenants", as: operator },
  { path: "/v1/fleet/integrations", as: operator },
  { path: "/v1/fleet/versions", as: operator },
  { path: `/v1/fleet/versions/${newest.version}/runs`, as: operator },
  { path: "/v1/fleet/audit", as: operator },
];

/** DynamoDB requests behind one call of each route, after a warm-up call. */
async function requestsPer(path: string, as = headers): Promise<string[]> {
  await fetch(base + path, { headers: as });
  sent.length = 0;
  const res = await fetch(base + path, { headers: as });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return [...sent];
}

const run = promisify(execFile);
/** autocannon at a fixed overall rate, in its own process; the server's CPU over the same time. */
async function load(path: string, seconds: number) {
  const cpuBefore = process.cpuUsage();
  const args = [
    "node_modules/autocannon/autocannon.js",
    "--json",
    "-c",
    "20",
    "-R",
    String(RATE),
    "-d",
    String(seconds),
    "-H",
    `authorization=${headers.authorization}`,
    base + path,
  ];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const cpu = process.cpuUsage(cpuBefore);
  const result = JSON.parse(stdout) as Result;
  const served = result.requests.total;
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    non2xx: result.non2xx + result.errors + result.timeouts,
    cpuMsPerRequest: (cpu.user + cpu.system) / 1000 / Math.max(1, served),
  };
}

const rows = [];
for (const route of routes) {
  const requests = route.path === "/bare" ? [] : await requestsPer(route.path);
  await load(route.path, 3); // warm-up at the same rate: JIT and connection pools settle
  rows.push({ ...route, requests, ...(await load(route.path, SECONDS)) });
}
const bareRow = rows[0]!;
const lines = [
  `| route | DynamoDB requests | achieved rps | p50 ms | p99 ms | p99 / bare | non-2xx+errors | server CPU ms / request |`,
  `| --- | --- | --- | --- | --- | --- | --- | --- |`,
  ...rows.map(
    (r) =>
      `| ${r.name} | ${r.path === "/bare" ? "–" : `${r.requests.length} (${r.requests.join(", ")})`} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.p99 / bareRow.p99).toFixed(2)} | ${r.non2xx} | ${r.cpuMsPerRequest.toFixed(2)} |`,
  ),
];
console.log(
  `npx tsx bench/api.ts ${RATE} ${SECONDS} ${VERSIONS} ${INTEGRATIONS} — ${RATE} rps for ${SECONDS} s per route, ` +
    `${VERSIONS} versions, ${INTEGRATIONS} integrations; ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}; ` +
    `Node ${process.version}; ${new Date().toISOString().slice(0, 16)} UTC`,
);
console.log(lines.join("\n"));
console.log("\n| route (one call, warm) | DynamoDB requests |\n| --- | --- |");
for (const route of counted) {
  const requests = await requestsPer(route.path, route.as);
  const byName = new Map<string, number>();
  for (const r of requests) byName.set(r, (byName.get(r) ?? 0) + 1);
  const names = [...byName].map(([name, n]) => `${name} ${n}`).join(", ");
  console.log(`| \`GET ${route.path.replaceAll(subject, "{id}")}\` | ${requests.length} (${names}) |`);
}
server.close();
await dynamo.stop();
