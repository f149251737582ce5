// Cold import of the executor's Lambda bundle: what Lambda's init phase pays before the first event.
// Builds the bundle the way Lambda gets it (esbuild, minified, ESM, AWS SDK external — the runtime
// provides it), then starts `node` on it `runs` times, alternating with a bare `node` on an empty
// module, and reports medians.
//   npx tsx bench/cold-import.ts [runs=15]
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const runs = Number(process.argv[2] ?? 15);
// Inside node_modules so the bundle resolves the SDK from the repository, as Lambda's runtime would.
const dir = resolve("node_modules/.cache/stackfleet-bench");
mkdirSync(dir, { recursive: true });
const bundlePath = join(dir, "executor.mjs");
const result = await build({
  entryPoints: ["packages/functions/src/executor.ts"],
  bundle: true,
  minify: true,
  platform: "node",
  target: "node22",
  format: "esm",
  external: ["@aws-sdk/*"],
  outfile: bundlePath,
  metafile: true,
  logLevel: "warning",
  // What SST adds to ESM functions: CommonJS dependencies may still call require.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);

const probe = join(dir, "probe.mjs");
writeFileSync(
  probe,
  `const t = performance.now(); await import(${JSON.stringify(bundlePath)}); console.log(performance.now() - t);`,
);
const bare = join(dir, "bare.mjs");
writeFileSync(bare, "console.log(0);");

const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:222222222222:${resource}`;
// A complete executor configuration: the entry validates it at import, as in Lambda.
const env = {
  ...process.env,
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDBENCH",
  AWS_SECRET_ACCESS_KEY: "bench",
  STACKFLEET_VENDOR_NAME: "Acme",
  STACKFLEET_PRODUCT: "acme",
  STACKFLEET_STACK_PREFIX: "Acme",
  STACKFLEET_VENDOR_ACCOUNT_ID: "111111111111",
  STACKFLEET_UPDATER_ACCOUNT_ID: "222222222222",
  STACKFLEET_EXECUTOR_ROLE_NAME: "acme-updater-executor",
  STACKFLEET_API_BASE_URL: "https://api.example.com",
  STACKFLEET_TEMPLATE_BASE_URL: "https://templates.example.com",
  STACKFLEET_TABLE: "stackfleet",
  STACKFLEET_UPDATER_TABLE: "stackfleet-updater",
  STACKFLEET_TEMPLATE_BUCKET: "acme-templates",
  STACKFLEET_PINNED_KEYS: JSON.stringify([
    { keyId: "bench-key", publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) },
  ]),
  STACKFLEET_SCHEDULE_GROUP: "stackfleet-runs",
  STACKFLEET_EXECUTOR_ARN: arn("lambda", "function:executor"),
  STACKFLEET_SCHEDULER_ROLE_ARN: "arn:aws:iam::222222222222:role/scheduler",
  STACKFLEET_SCHEDULE_DLQ_ARN: arn("sqs", "runs-dlq"),
  STACKFLEET_NOTIFICATION_TOPIC_ARN: arn("sns", "notifications"),
};

function start(file: string) {
  const t = performance.now();
  const child = spawnSync(process.execPath, [file], { env, encoding: "utf8" });
  const wallMs = performance.now() - t;
  if (child.status !== 0) throw new Error(`node ${file} failed: ${child.stderr}`);
  return { wallMs, importMs: Number(child.stdout.trim()) };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return +sorted[Math.floor(sorted.length / 2)]!.toFixed(1);
};

start(probe); // warms the file cache, as a provisioned runtime's disk would be
const executor: ReturnType<typeof start>[] = [];
const empty: ReturnType<typeof start>[] = [];
for (let i = 0; i < runs; i++) {
  empty.push(start(bare));
  executor.push(start(probe));
}
const executorWall = median(executor.map((r) => r.wallMs));
const bareWall = median(empty.map((r) => r.wallMs));
console.log(
  JSON.stringify(
    {
      runs,
      bundleKiB: +(bytes / 1024).toFixed(1),
      importMs: median(executor.map((r) => r.importMs)),
      wallMs: { executor: executorWall, bareNode: bareWall, difference: +(executorWall - bareWall).toFixed(1) },
      ratioToBareNode: +(executorWall / bareWall).toFixed(2),
    },
    null,
    2,
  ),
);
