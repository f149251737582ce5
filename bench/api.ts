// API benchmark: the integration-detail route and a list route against a bare Hono route, served
// by the same process in the same run, on DynamoDB Local. Two floors show what DynamoDB Local
// alone costs: a bare route doing one GetItem, and a bare route sending exactly the DynamoDB
// requests the detail route sends (recorded from one detail call, replayed in order) with none
// of the app around them. Each route gets a fixed arrival rate from a load generator in its own
// process (see LOAD); reports p50/p99 latency, the ratio to the bare route, and where the time
// goes: the CPU per request of the server, DynamoDB Local's JVM and the load generator, the time
// inside the app, each DynamoDB round trip as the server sees it, and the event loop's delay.
//   npx tsx bench/api.ts [rate=200] [seconds=20] [versions=12] [integrations=200] [warm-up s per route=5]
//     [JVM warm-up calls=12000]
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { execFile } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
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
/** Warm-up per route at the measured rate: connections open, the route's own code paths compiled. */
const WARMUP = Number(process.argv[6] ?? 5);
/**
 * Calls of the data routes before anything is measured. DynamoDB Local's JVM compiles its hot
 * paths only after thousands of requests: serially, a detail's two requests cost it 7.4 ms of CPU
 * after 1,000 details, 3.2 after 4,000 and a steady ≈ 2.1 from about 10,000 on (load ≈ 15; see
 * BENCHMARKS.md). 3 s at 200 rps (600 calls) measured a cold JVM; the output shows the JVM's CPU
 * per call in the first and the last thousand of the warm-up, so a plateau can be checked.
 */
const JVM_WARMUP_CALLS = Number(process.argv[7] ?? 12_000);

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

/** The global control's key: the one item every view reads. */
const GLOBAL_CONTROL = { pk: "$stackfleet", sk: "$control_1#name_global" };
type Replayable = { constructor: new (input: unknown) => object; input: unknown };
let detailCommands: Replayable[] = [];
const floors = new Hono()
  .get("/bare", (c) => c.json({ ok: true }))
  .get("/floor/get", async (c) => {
    await documentClient.send(new GetCommand({ TableName: world.tableName, Key: GLOBAL_CONTROL }));
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
  { name: "floor: bare route + one GetItem", path: "/floor/get" },
  { name: "floor: bare route + the detail's DynamoDB requests", path: "/floor/detail" },
  { name: "integration detail", path: `/v1/integrations/${subject}` },
  { name: "integration list (page of 50)", path: "/v1/integrations" },
];

const run = promisify(execFile);
/**
 * The load generator: `paced` (default) sends one request every 1/rate s, open loop, latency from
 * when each was due (bench/support/paced-load.mjs); `autocannon` (`API_BENCH_LOAD=autocannon`) is
 * autocannon 9 with `-c 20 -R rate`, which sends each connection's share of a second back to back
 * at the start of the second: the figures this bench reported before 2026-11-29 05:30 UTC.
 */
const LOAD = process.env.API_BENCH_LOAD === "autocannon" ? "autocannon" : "paced";
const PACED = fileURLToPath(new URL("./support/paced-load.mjs", import.meta.url));
type Paced = { served: number; rps: number; p50: number; p99: number; non2xx: number; errors: number };
const fromAutocannon = (r: Result): Paced => ({
  served: r.requests.total,
  rps: r.requests.average,
  p50: r.latency.p50,
  p99: r.latency.p99,
  non2xx: r.non2xx,
  errors: r.errors + r.timeouts,
});
const loop = loopDelay();
/** The load at a fixed rate, in its own process; every process's CPU over the same time. */
async function load(path: string, seconds: number) {
  const authorization = `authorization=${headers.authorization}`;
  const paced = [PACED, base + path, String(RATE), String(seconds), authorization];
  const autocannon = ["node_modules/autocannon/autocannon.js", "--json", "-c", "20", "-R", String(RATE)];
  autocannon.push("-d", String(seconds), "-H", authorization, base + path);
  for (const reset of [roundTrips.reset, inApp.reset, loop.reset]) reset();
  const before = { server: process.cpuUsage(), jvm: cpuSecondsOf(jvm!), children: exitedChildrenCpuSeconds() };
  const machine = machineBusySeconds();
  const { stdout } = await run(process.execPath, LOAD === "paced" ? paced : autocannon, {
    maxBuffer: 16 * 1024 * 1024,
  });
  const server = process.cpuUsage(before.server);
  const result = LOAD === "paced" ? (JSON.parse(stdout) as Paced) : fromAutocannon(JSON.parse(stdout) as Result);
  const served = Math.max(1, result.served);
  const perRequest = (seconds: number) => (seconds * 1000) / served;
  const cpu = {
    server: perRequest((server.user + server.system) / 1e6),
    jvm: perRequest(cpuSecondsOf(jvm!) - before.jvm),
    load: perRequest(exitedChildrenCpuSeconds() - before.children),
    machine: perRequest(machineBusySeconds() - machine),
  };
  return {
    ...result,
    non2xx: result.non2xx + result.errors,
    cpu,
    inApp: { p50: inApp.percentile(50), p99: inApp.percentile(99) },
    roundTrips: roundTrips.entries().map(([op, r]) => ({ op, p50: r.percentile(50), p99: r.percentile(99) })),
    loopP99: loop.p99(),
  };
}

/** The data routes called back to back, 4 at a time, in windows of 1,000: the JVM's CPU per call in each. */
async function warmDynamoDbLocal(calls: number): Promise<number[]> {
  const paths = routes.filter((r) => r.path !== "/bare").map((r) => r.path);
  const perWindow: number[] = [];
  for (let done = 0; done < calls; done += 1_000) {
    const before = cpuSecondsOf(jvm!);
    let left = Math.min(1_000, calls - done);
    const window = left;
    const worker = async () => {
      while (left-- > 0) await (await fetch(base + paths[left % paths.length], { headers })).arrayBuffer();
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    perWindow.push(((cpuSecondsOf(jvm!) - before) * 1000) / window);
  }
  return perWindow;
}

const warmStarted = performance.now();
const jvmWarmup = await warmDynamoDbLocal(JVM_WARMUP_CALLS);
const warmSeconds = (performance.now() - warmStarted) / 1000;
const rows = [];
for (const route of routes) {
  const requests = route.path === "/bare" ? [] : names(await requestsPer(route.path));
  if (WARMUP > 0) await load(route.path, WARMUP);
  rows.push({ ...route, requests, ...(await load(route.path, SECONDS)) });
}
const bareRow = rows[0]!;
const ms = (n: number) => (n < 10 ? n.toFixed(1) : n.toFixed(0));
console.log(
  `${LOAD === "autocannon" ? "API_BENCH_LOAD=autocannon " : ""}npx tsx bench/api.ts ${RATE} ${SECONDS} ${VERSIONS} ${INTEGRATIONS} ${WARMUP} ${JVM_WARMUP_CALLS} — ${RATE} rps (${LOAD} load) for ${SECONDS} s per ` +
    `route after ${WARMUP} s of warm-up, ${VERSIONS} versions, ${INTEGRATIONS} integrations; ${cpus().length} cores, ` +
    `load ${loadavg()[0]!.toFixed(1)}; Node ${process.version}; ${new Date().toISOString().slice(0, 16)} UTC`,
);
if (jvmWarmup.length)
  console.log(
    `JVM warm-up: ${JVM_WARMUP_CALLS} calls of the data routes in ${warmSeconds.toFixed(0)} s; DynamoDB Local's CPU ` +
      `per call ${jvmWarmup[0]!.toFixed(2)} ms in the first 1,000, ${jvmWarmup.at(-1)!.toFixed(2)} ms in the last`,
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
    "| route | in app p50 / p99 ms | DynamoDB round trips p50 / p99 ms | loop delay p99 ms | CPU: server | DynamoDB Local JVM | load generator | machine |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${ms(r.inApp.p50)} / ${ms(r.inApp.p99)} | ` +
        `${r.roundTrips.map((t) => `${t.op} ${ms(t.p50)} / ${ms(t.p99)}`).join("; ") || "–"} | ${ms(r.loopP99)} | ` +
        `${r.cpu.server.toFixed(2)} | ${r.cpu.jvm.toFixed(2)} | ${r.cpu.load.toFixed(2)} | ${r.cpu.machine.toFixed(2)} |`,
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
