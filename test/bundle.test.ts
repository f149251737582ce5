import { build } from "esbuild";
import { describe, expect, it } from "vitest";

// The executor is the one component that touches customer accounts: its Lambda bundle must not
// carry what only the API needs (the changelog engine and its 2.6 MB spec database), nor the
// AGPL IAM simulator or the sandbox, which are development-only.
async function bundle(entry: string) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: "node",
    target: "node22",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
    // The Lambda runtime provides the AWS SDK v3; SST bundles the same way by default.
    external: ["@aws-sdk/*"],
  });
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
  return { inputs, included, code, loadedAtImport, bytes };
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
    const { inputs, bytes } = await bundle("packages/functions/src/executor.ts");
    expect(inputs.some((i) => i.includes("packages/core/src/executor/"))).toBe(true);
    for (const forbidden of ["@aws-cdk/", "@cloud-copilot/", "packages/sandbox/", "packages/core/src/changelog/"]) {
      expect(
        inputs.filter((i) => i.includes(forbidden)),
        forbidden,
      ).toEqual([]);
    }
    expect(bytes).toBeLessThan(2_000_000);
  }, 60_000);

  // Minified as Lambda gets it. It was 900 KiB: zod's `{ z }` namespace object kept every locale
  // (258 KiB) and the whole classic API; `import * as z` lets esbuild keep what is used. `yaml`
  // (112 KiB) left when the template's parameter names moved into the signed manifest. The goal is
  // 300 KiB; ElectroDB (219 KiB with jsonschema) still stands in the way (BENCHMARKS.md, "Executor").
  it("keeps the executor bundle under its size ceiling, with zod's English messages only", async () => {
    const { included, bytes } = await bundle("packages/functions/src/executor.ts");
    expect(bytes / KiB).toBeLessThan(436);
    // The executor never parses a template: the signed manifest names the template's parameters.
    expect(included.filter((i) => /node_modules\/yaml\/|packages\/core\/src\/template\/parse\.ts$/.test(i))).toEqual(
      [],
    );
    expect(included.filter((i) => /zod\/v4\/locales\/(?!en\.js$)/.test(i))).toEqual([]);
    expect(included.filter((i) => /node_modules\/semver\/(index|ranges|classes\/range)/.test(i))).toEqual([]);
    // Nothing of planning or the API: the executor only runs what a schedule hands it.
    const planningOrApi =
      /packages\/core\/src\/rollout\/(plan|plan-page|plan-integration|plan-size)\.ts$|packages\/functions\/src\/api\//;
    expect(included.filter((i) => planningOrApi.test(i))).toEqual([]);
  }, 60_000);

  // A cold start loads DynamoDB's client (every invocation reads the table) and nothing else of the
  // SDK: STS, CloudFormation, S3, Scheduler and SNS load when an invocation first needs them.
  it("loads no SDK package but DynamoDB's when the executor is imported", async () => {
    const { loadedAtImport } = await bundle("packages/functions/src/executor.ts");
    const sdk = [...loadedAtImport].filter((p) => p.startsWith("@aws-sdk/")).sort();
    expect(sdk).toEqual(["@aws-sdk/client-dynamodb", "@aws-sdk/lib-dynamodb", "@aws-sdk/util-dynamodb"]);
  }, 60_000);

  it("keeps the API free of the IAM simulator, the sandbox and every dev-only adapter", async () => {
    const api = await bundle("packages/functions/src/api/lambda.ts");
    expect(api.inputs.some((i) => i.includes("packages/functions/src/wiring/api.ts"))).toBe(true);
    expectNoDevCode(api);
  }, 60_000);

  it("keeps the executor free of every dev-only adapter", async () => {
    const executor = await bundle("packages/functions/src/executor.ts");
    expect(executor.inputs.some((i) => i.includes("packages/functions/src/wiring/executor.ts"))).toBe(true);
    expectNoDevCode(executor);
  }, 60_000);

  it("finds dev-only code when a bundle does carry it", async () => {
    const local = await bundle("packages/local/src/dev/signer.ts");
    expect(() => expectNoDevCode(local)).toThrow(/packages\/local\//);
  }, 60_000);
});
