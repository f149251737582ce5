// API benchmark: the integration-detail route and a list route against a bare Hono route, served
// by the same process in the same run, on DynamoDB Local. Two floors show what DynamoDB Local
// alone costs: a bare route doing one GetItem, and a bare route sending exactly the DynamoDB
// requests the detail route sends (recorded from one detail call, replayed in order) with none
// of the app around them. Each route gets a fixed arrival rate (autocannon in its own process);
// reports p50/p99 latency, the ratio to the bare route, and where the time goes: the CPU per
// request of the server, DynamoDB Local's JVM and autocannon, the time inside the app, each
// DynamoDB round trip as the server sees it, and the event loop's delay.
//   npx tsx bench/api.ts [rate=200] [seconds=20] [versions=12] [integrations=200] [warm-up seconds=10]
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { execFile } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { promisify } from "node:util";
import { serve } from "@hono/node-server";
import { issueDevToken } from "@stackfleet/local/dev/auth-key";
import type { Result } from "autocannon";
import { Hono } from "hono";
import { apiFixture, TENANT } from "./support/api-fixture";
import {
  cpuSecondsOf,
  exitedChildrenCpuSeconds,
  loopDelay,
  machineBusySeconds,
  recorder,
  recorders,
} from "./support/api-probe";
import { dynamoDbLocalPid } from "./support/busy";

const RATE = Number(process.argv[2] ?? 200);
const SECONDS = Number(process.argv[3] ?? 20);
const VERSIONS = Number(process.argv[4] ?? 12);
const INTEGRATIONS = Number(process.argv[5] ?? 200);
/**
 * Warm-up per route at the measured rate. DynamoDB Local's JVM compiles its hot paths (C2) only
 * after thousands of calls of each: `warm-up seconds` 0/3/10/30 side by side is how the default
 * was chosen (see BENCHMARKS.md).
 */
const WARMUP = Number(process.argv[6] ?? 10);

const world = await apiFixture({ versions: VERSIONS, integrations: INTEGRATIONS });
const { app, documentClient, subject, newest } = world;
const jvm = await dynamoDbLocalPid(world.dynamo.port);
if (!jvm) throw new Error("DynamoDB Local's JVM not found in /proc");

let recording: object[] | undefined;
const roundTrips = recorders();
world.observers.push((command, ms) => {
  recording?.push(command);
  roundTrips.add(command.constructor.name.replace(/Command$/, ""), ms);
});

type Replayable = { constructor: new (input: unknown) => object; input: unknown };
let detailCommands: Replayable[] = [];
const floors = new Hono()
  .get("/bare", (c) => c.json({ ok: true }))
  .get("/floor/get", async (c) => {
    const [get] = detailCommands.filter((command) => command.constructor.name === "BatchGetCommand");
    if (!get) throw new Error("no recorded batch");
    await documentClient.send(new get.constructor(get.input) as never);
    return c.json({ ok: true });
  })
  .get("/floor/detail", async (c) => {
    for (const command of detailCommands) await documentClient.send(new command.constructor(command.input) as never);
    return c.json({ ok: true });
  });

const inApp = recorder();
const server = serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: async (request, env) => {
    const started = performance.now();
    const path = new URL(request.url).pathname;
    const response = await (path === "/bare" || path.startsWith("/floor/")
      ? floors.fetch(request)
      : app.fetch(request, env));
    inApp.add(performance.now() - started);
    return response;
  },
});
await new Promise((done) => server.once("listening", done));
const address = server.address();
const base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
const token = await issueDevToken({ key: world.authKey, ttl: "2h", role: "tenant-admin", tenantId: TENANT });
const headers = { authorization: `Bearer ${token}` };
const operatorToken = await issueDevToken({ key: world.authKey, ttl: "2h", role: "operator", subject: "ops@bench" });
const operator = { authorization: `Bearer ${operatorToken}` };

/** The DynamoDB requests behind one call of a route, after a warm-up call. */
async function requestsPer(path: string, as = headers): Promise<object[]> {
  await fetch(base + path, { headers: as });
  recording = [];
  const res = await fetch(base + path, { headers: as });
  const sent = recording;
  recording = undefined;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return sent;
}
const names = (commands: object[]) => commands.map((c) => c.constructor.name.replace(/Command$/, ""));
detailCommands = (await requestsPer(`/v1/integrations/${subject}`)) as Replayable[];

const routes = [
  { name: "bare Hono route", path: "/bare" },
  { name: "floor: bare route + the detail's BatchGet", path: "/floor/get" },
  { name: "floor: bare route + the detail's DynamoDB requests", path: "/floor/detail" },
  { name: "integration detail", path: `/v1/integrations/${subject}` },
  { name: "integration list (page of 50)", path: "/v1/integrations" },
];

const run = promisify(execFile);
const loop = loopDelay();
/** autocannon at a fixed overall rate, in its own process; every process's CPU over the same time. */
async function load(path: string, seconds: number) {
  const args = [
    "node_modules/autocannon/autocannon.js",
    "--json",
    "-c",
    "20",
    "-R",
    String(RATE),
    "-d",
    String(seconds),
  ];
  args.push("-H", `authorization=${headers.authorization}`, base + path);
  for (const reset of [roundTrips.reset, inApp.reset, loop.reset]) reset();
  const before = { server: process.cpuUsage(), jvm: cpuSecondsOf(jvm!), children: exitedChildrenCpuSeconds() };
  const machine = machineBusySeconds();
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 });
  const server = process.cpuUsage(before.server);
  const result = JSON.parse(stdout) as Result;
  const served = Math.max(1, result.requests.total);
  const perRequest = (seconds: number) => (seconds * 1000) / served;
  const cpu = {
    server: perRequest((server.user + server.system) / 1e6),
    jvm: perRequest(cpuSecondsOf(jvm!) - before.jvm),
    autocannon: perRequest(exitedChildrenCpuSeconds() - before.children),
    machine: perRequest(machineBusySeconds() - machine),
  };
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    non2xx: result.non2xx + result.errors + result.timeouts,
    cpu,
    inApp: { p50: inApp.percentile(50), p99: inApp.percentile(99) },
    roundTrips: roundTrips.entries().map(([op, r]) => ({ op, p50: r.percentile(50), p99: r.percentile(99) })),
    loopP99: loop.p99(),
  };
}

const rows = [];
for (const route of routes) {
  const requests = route.path === "/bare" ? [] : names(await requestsPer(route.path));
  if (WARMUP > 0) await load(route.path, WARMUP);
  rows.push({ ...route, requests, ...(await load(route.path, SECONDS)) });
}
const bareRow = rows[0]!;
const ms = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));
console.log(
  `npx tsx bench/api.ts ${RATE} ${SECONDS} ${VERSIONS} ${INTEGRATIONS} ${WARMUP} — ${RATE} rps for ${SECONDS} s per ` +
    `route after ${WARMUP} s of warm-up, ${VERSIONS} versions, ${INTEGRATIONS} integrations; ${cpus().length} cores, ` +
    `load ${loadavg()[0]!.toFixed(1)}; Node ${process.version}; ${new Date().toISOString().slice(0, 16)} UTC`,
);
console.log(
  [
    "| route | DynamoDB requests | achieved rps | p50 ms | p99 ms | p99 / bare | non-2xx+errors |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.requests.length ? `${r.requests.length} (${r.requests.join(", ")})` : "–"} | ` +
        `${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${(r.p99 / bareRow.p99).toFixed(2)} | ${r.non2xx} |`,
    ),
  ].join("\n"),
);
console.log(
  [
    "\nWhere the time goes (server side; CPU in ms per request; machine = all cores' busy time, other work included):",
    "| route | in app p50 / p99 ms | DynamoDB round trips p50 / p99 ms | loop delay p99 ms | CPU: server | DynamoDB Local JVM | autocannon | machine |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${ms(r.inApp.p50)} / ${ms(r.inApp.p99)} | ` +
        `${r.roundTrips.map((t) => `${t.op} ${ms(t.p50)} / ${ms(t.p99)}`).join("; ") || "–"} | ${ms(r.loopP99)} | ` +
        `${r.cpu.server.toFixed(2)} | ${r.cpu.jvm.toFixed(2)} | ${r.cpu.autocannon.toFixed(2)} | ${r.cpu.machine.toFixed(2)} |`,
    ),
  ].join("\n"),
);

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
console.log("\n| route (one call, warm) | DynamoDB requests |\n| --- | --- |");
for (const route of counted) {
  const requests = await requestsPer(route.path, route.as).then(names, (e: Error) => e);
  if (requests instanceof Error) {
    console.log(`| \`GET ${route.path.replaceAll(subject, "{id}")}\` | failed: ${requests.message.slice(0, 80)} |`);
    continue;
  }
  const byName = new Map<string, number>();
  for (const r of requests) byName.set(r, (byName.get(r) ?? 0) + 1);
  const counts = [...byName].map(([name, n]) => `${name} ${n}`).join(", ");
  console.log(`| \`GET ${route.path.replaceAll(subject, "{id}")}\` | ${requests.length} (${counts}) |`);
}
server.close();
await world.dynamo.stop();
