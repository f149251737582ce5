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
  return { inputs, bytes: result.outputFiles.reduce((n, f) => n + f.contents.length, 0) };
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

  it("keeps the API free of the IAM simulator and the sandbox", async () => {
    const { inputs } = await bundle("packages/functions/src/api/lambda.ts");
    for (const forbidden of ["@cloud-copilot/", "packages/sandbox/"])
      expect(
        inputs.filter((i) => i.includes(forbidden)),
        forbidden,
      ).toEqual([]);
  }, 60_000);
});
