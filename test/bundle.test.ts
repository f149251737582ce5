import { build } from "esbuild";
import { describe, expect, it } from "vitest";

// The executor is the one component that touches customer accounts: its Lambda bundle must not
// carry what only the API needs (the changelog engine and its 2.6 MB spec database), nor the
// AGPL IAM simulator or the sandbox, which are development-only.
async function bundle(entry: string) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
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
  return { inputs, code, bytes: result.outputFiles.reduce((n, f) => n + f.contents.length, 0) };
}

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
