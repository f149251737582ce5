import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { type BuildOptions, build } from "esbuild";
import { describe, expect, inject, it } from "vitest";
import { executorBuildOptions, executorNodejs } from "../infra/executor-bundle.mjs";
import { executorEnvironment } from "./support/executor-env";
import { createTestStore, scanTable } from "./support/store";

const EXECUTOR = "packages/functions/src/executor.ts";

// The other Lambdas: minified ESM with the AWS SDK left to the runtime.
const lambdaOptions = (entry: string): BuildOptions => ({
  entryPoints: [entry],
  bundle: true,
  minify: true,
  platform: "node",
  target: "node22",
  format: "esm",
  external: ["@aws-sdk/*"],
});

// The executor is the one component that touches customer accounts: its Lambda bundle must not
// carry what only the API needs (the changelog engine and its 2.6 MB spec database), nor the
// AGPL IAM simulator or the sandbox, which are development-only. It is built exactly as deployed
// (infra/executor-bundle.mjs), as bench/cold-import.ts builds it.
async function bundle(entry: string) {
  const options = entry === EXECUTOR ? executorBuildOptions(entry) : lambdaOptions(entry);
  const result = await build({ ...options, write: false, metafile: true, logLevel: "silent" });
  const inputs = Object.keys(result.metafile.inputs);
  const code = result.outputFiles.map((f) => f.text).join("\n");
  // SDK packages loaded when the bundle is imported (static imports and requires), as opposed to on first use.
  const loadedAtImport = new Set(
    Object.values(result.metafile.inputs).flatMap((input) =>
      input.imports.filter((i) => i.external && i.kind !== "dynamic-import").map((i) => i.path),
    ),
  );
  // Modules with code in the output: tree shaking leaves some parsed modules with none.
  const included = Object.values(result.metafile.outputs).flatMap((o) =>
    Object.entries(o.inputs)
      .filter(([, i]) => i.bytesInOutput > 0)
      .map(([path]) => path),
  );
  const bytes = result.outputFiles.reduce((n, f) => n + f.contents.length, 0);
  const warnings = result.warnings.map((w) => `${w.location?.file}: ${w.text}`);
  return { inputs, included, code, loadedAtImport, bytes, warnings };
}

const KiB = 1024;

// Dev-only adapters live in packages/local: a Lambda that carried them could be configured into
// trusting a key file or a dev token issuer.
const DEV_ONLY_MODULES = ["packages/local/", "packages/sandbox/", "@cloud-copilot/"];
const DEV_ONLY_CODE = [
  "LocalKeySigner",
  "createDevVerifier",
  "issueDevToken",
  "LocalTemplateStore",
  "createLocalNotifier",
];

function expectNoDevCode({ inputs, code }: { inputs: string[]; code: string }) {
  for (const forbidden of DEV_ONLY_MODULES)
    expect(
      inputs.filter((i) => i.includes(forbidden)),
      forbidden,
    ).toEqual([]);
  for (const name of DEV_ONLY_CODE) expect(code.includes(name), name).toBe(false);
}

describe("Lambda bundles", () => {
  it("keeps the executor free of the changelog library, the IAM simulator and the sandbox", async () => {
    const { inputs, bytes } = await bundle(EXECUTOR);
    expect(inputs.some((i) => i.includes("packages/core/src/executor/"))).toBe(true);
    for (const forbidden of ["@aws-cdk/", "@cloud-copilot/", "packages/sandbox/", "packages/core/src/changelog/"]) {
      expect(
        inputs.filter((i) => i.includes(forbidden)),
        forbidden,
      ).toEqual([]);
    }
    expect(bytes).toBeLessThan(2_000_000);
  }, 60_000);

  // As deployed (SST keeps names: about 11 KiB of it). It was 900 KiB: zod's `{ z }` namespace
  // object kept every locale (258 KiB) and the whole classic API; `import * as z` lets esbuild keep
  // what is used (biome refuses `{ z }` in packages/core). `yaml` (112 KiB) left when the template's
  // parameter names moved into the signed manifest, ElectroDB's jsonschema (28 KiB) for a subset.
  // 2026-11-29: 428 -> 299 KiB (goal 300) — zod mini (core/src/zod-mini.ts), no Powertools
  // (wiring/emf.ts), semver and ulid written out, no ElectroDB Service (db/lean-service.ts), the
  // executor's own config module, no barrel namespaces. ElectroDB's entity code is 173 KiB of it,
  // SST's keepNames 11 KiB (BENCHMARKS.md, "Executor"). The ceiling is the goal itself (issue 16:
  // ≤ 300 KiB, a regression fails `npm test`), < 1 KiB above today's size: what the executor gains
  // must be paid for in the same change.
  it("keeps the executor bundle under its size ceiling, with zod's English messages only", async () => {
    const { included, bytes, warnings, code } = await bundle(EXECUTOR);
    // As CommonJS, esbuild only warns where code would break (`import.meta` is empty there).
    expect(warnings).toEqual([]);
    expect(bytes / KiB).toBeLessThanOrEqual(300);
    // The executor never parses a template: the signed manifest names the template's parameters.
    expect(included.filter((i) => /node_modules\/yaml\/|packages\/core\/src\/template\/parse\.ts$/.test(i))).toEqual(
      [],
    );
    expect(included.filter((i) => /zod\/v4\/locales\/(?!en\.js$)/.test(i))).toEqual([]);
    // core's schemas use zod mini (packages/core/src/zod-mini.ts): one classic import brings ~60 KiB back.
    expect(included.filter((i) => /zod\/v4\/classic\//.test(i))).toEqual([]);
    // Logs and EMF metrics by hand (packages/functions/src/wiring/emf.ts): Powertools was ~34 KiB.
    expect(included.filter((i) => i.includes("@aws-lambda-powertools/"))).toEqual([]);
    // ElectroDB's jsonschema gives way to the subset its model schemas need (test/jsonschema-subset.test.ts).
    expect(included.filter((i) => i.includes("node_modules/jsonschema/"))).toEqual([]);
    expect(included).toContain("infra/jsonschema-subset.ts");
    // Transactions through ElectroDB's createWriteTransaction, without its Service class (db/lean-service.ts).
    expect(included.filter((i) => /node_modules\/electrodb\/(index|src\/service)\.js$/.test(i))).toEqual([]);
    // Its lean service leaves out the two entities only the API uses: no executor code may name them.
    expect(code).not.toMatch(/callbackRefusal|changelogPair/);
    // core/version/semver.ts writes out the three functions it uses (the package's class is ~9.5 KiB).
    expect(included.filter((i) => i.includes("node_modules/semver/"))).toEqual([]);
    // Nothing of planning or the API: the executor only runs what a schedule hands it.
    const planningOrApi =
      /packages\/core\/src\/rollout\/(plan|plan-page|plan-integration|plan-size)\.ts$|packages\/functions\/src\/api\//;
    expect(included.filter((i) => planningOrApi.test(i))).toEqual([]);
  }, 60_000);

  // SST runs `nodejs.plugins` in its own bridge process (.sst/platform, written by the typecheck's
  // scripts/sst-platform.mjs): the swap must happen there as it does in esbuild.
  it("swaps jsonschema through SST's plugin bridge too", () => {
    const bridge = ".sst/platform/functions/nodejs-runtime/plugin.mjs";
    expect(existsSync(bridge), `${bridge} is missing: run node scripts/sst-platform.mjs`).toBe(true);
    const ask = (id: number, path: string) =>
      JSON.stringify({
        id,
        command: "resolve",
        value: { path, importer: "x.js", resolveDir: ".", kind: "require-call" },
      });
    const run = spawnSync(process.execPath, [bridge, resolve(executorNodejs.plugins)], {
      input: `${ask(0, "jsonschema")}\n${ask(1, "zod")}\n`,
      encoding: "utf8",
      timeout: 30_000,
    });
    const replies = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { id: number; value: object })
      .sort((a, b) => a.id - b.id);
    expect(replies).toEqual([
      { id: 0, value: { path: resolve("infra/jsonschema-subset.ts") } },
      { id: 1, value: {} },
    ]);
  }, 60_000);

  // The artifact itself, not the sources: CommonJS, the jsonschema subset building ElectroDB's
  // entities, the runtime's SDK through `require`, zod's English messages. A rejected input is the
  // one invocation that needs nothing but the table (pointed at DynamoDB Local by the SDK's env).
  it("runs as built: the bundle records a rejected input in DynamoDB, in English", async () => {
    const store = await createTestStore();
    const dir = resolve("node_modules/.cache/stackfleet-bundle-test");
    mkdirSync(dir, { recursive: true });
    // Per process: two test runs in one tree must not overwrite each other's bundle.
    const file = join(dir, `executor-${process.pid}.cjs`);
    await build({ ...executorBuildOptions(EXECUTOR), outfile: file, logLevel: "silent" });
    const invoke = `require(${JSON.stringify(file)}).handler({ nope: 1 }, { getRemainingTimeInMillis: () => 60000, awsRequestId: "req-1", functionName: "exec" })
      .then((r) => console.log("RESULT " + JSON.stringify(r)), (e) => { console.error(e); process.exit(1); });`;
    const env = executorEnvironment({
      STACKFLEET_TABLE: store.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: inject("dynamoEndpoint"),
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
    });
    const run = spawnSync(process.execPath, ["-e", invoke], {
      env: { PATH: process.env.PATH ?? "", ...env },
      encoding: "utf8",
      timeout: 60_000,
    });
    const line = run.stdout.split("\n").find((l) => l.startsWith("RESULT "));
    // Without the minified source lines node prints above an uncaught error.
    const errors = run.stderr
      .split("\n")
      .filter((l) => l.length < 400)
      .join("\n");
    expect(line, errors).toBeDefined();
    rmSync(file);
    expect(JSON.parse(line?.slice("RESULT ".length) ?? "")).toMatchObject({ result: "rejected" });
    const recorded = (await scanTable(store.client, store.tableName)).filter((item) =>
      JSON.stringify(item).includes("executor.input-rejected"),
    );
    expect(recorded).toHaveLength(1);
    const issues = JSON.stringify(recorded[0]);
    expect(issues).toMatch(/Unrecognized key: \\"nope\\"/);
    expect(issues).toMatch(/expected string, received undefined/);
    // Logged as core's JSON lines (no Powertools in the executor), with the invocation's request id.
    const logged = run.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: "WARN",
        message: "input rejected",
        function_request_id: "req-1",
        cold_start: true,
      }),
    );
  }, 120_000);

  // A cold start loads DynamoDB's client (every invocation reads the table) and nothing else of the
  // SDK: STS, CloudFormation, S3, Scheduler and SNS load when an invocation first needs them.
  it("loads no SDK package but DynamoDB's when the executor is imported", async () => {
    const { loadedAtImport } = await bundle(EXECUTOR);
    const sdk = [...loadedAtImport].filter((p) => p.startsWith("@aws-sdk/")).sort();
    expect(sdk).toEqual(["@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb", "@aws-sdk/util-dynamodb"]);
  }, 60_000);

  it("keeps the API free of the IAM simulator, the sandbox and every dev-only adapter", async () => {
    const api = await bundle("packages/functions/src/api/lambda.ts");
    expect(api.inputs.some((i) => i.includes("packages/functions/src/wiring/api.ts"))).toBe(true);
    expectNoDevCode(api);
  }, 60_000);

  it("keeps the executor free of every dev-only adapter", async () => {
    const executor = await bundle(EXECUTOR);
    expect(executor.inputs.some((i) => i.includes("packages/functions/src/wiring/executor.ts"))).toBe(true);
    expectNoDevCode(executor);
  }, 60_000);

  it("finds dev-only code when a bundle does carry it", async () => {
    const local = await bundle("packages/local/src/dev/signer.ts");
    expect(() => expectNoDevCode(local)).toThrow(/packages\/local\//);
  }, 60_000);
});
