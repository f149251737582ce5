import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { build } from "esbuild";
import type { RegisteredResource } from "./infra-eval/program";

/**
 * Evaluates the SST program (`sst.config.ts` → `infra/`) for one stage with no AWS and no SST CLI:
 * the same `run()` SST's CLI calls, under `@pulumi/pulumi` runtime mocks, in a child process so each
 * stage gets a fresh Pulumi runtime and its own environment (infra reads `process.env` at import).
 *
 * What SST's CLI does that is reproduced here: bundle `sst.config.ts` with esbuild injecting
 * `.sst/platform/src/shim/run.js` (the `$interpolate`, `$jsonStringify`, `$util`, `$transform`…
 * globals), set `$app` from `app()` + stage, `$dev`, `$cli`, and the `sst`/`aws` namespaces, then call
 * `src/auto/run.ts`. What is replaced: the Pulumi engine (mocks) and the CLI's RPC server
 * (`scripts/infra-eval/program.ts`).
 */

export interface EvalOptions {
  stage: string;
  env: Record<string, string>;
  /** `sst dev` rather than `sst deploy`. */
  dev?: boolean;
  account?: string;
  region?: string;
}

export interface Evaluation {
  resources: RegisteredResource[];
  outputs: Record<string, unknown>;
  /** Functions `sst dev` would run on the developer's machine. */
  liveFunctions: string[];
}

const root = path.resolve(import.meta.dirname, "..");
const platform = path.join(root, ".sst", "platform");
const run = promisify(execFile);

/** SST's platform dependencies load from `.sst/platform/node_modules`, exactly as in a deploy. */
function platformExternals(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(platform, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
  };
  // `vite` is imported lazily by SST's Remix component only; SST's CLI leaves it to the app too.
  return [...Object.keys(pkg.dependencies), "vite"].flatMap((name) => [name, `${name}/*`]);
}

function entrySource(request: Record<string, unknown>): string {
  return `
import { evaluate, prepareGlobals } from ${JSON.stringify(path.join(root, "scripts", "infra-eval", "program.ts"))};
const request = ${JSON.stringify(request)};
const config = (await import(${JSON.stringify(path.join(root, "sst.config.ts"))})).default;
prepareGlobals(request, config);
globalThis.aws = await import("@pulumi/aws");
globalThis.sst = await import(${JSON.stringify(path.join(platform, "src", "components", "index.ts"))});
const { run } = await import(${JSON.stringify(path.join(platform, "src", "auto", "run.ts"))});
await evaluate(request, config, run);
`;
}

/** Bundles into `.sst/platform/` so the externals resolve from its `node_modules`. */
async function bundle(dir: string, request: Record<string, unknown>): Promise<string> {
  const outfile = path.join(dir, "eval.mjs");
  await build({
    stdin: { contents: entrySource(request), resolveDir: root, loader: "ts", sourcefile: "eval-entry.ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "error",
    inject: [path.join(platform, "src", "shim", "run.js")],
    external: platformExternals(),
    banner: {
      js: [
        `import { createRequire as topLevelCreateRequire } from "module";`,
        `const require = topLevelCreateRequire(import.meta.url);`,
        `import { fileURLToPath as topLevelFileUrlToPath, URL as topLevelURL } from "url";`,
        `const __filename = topLevelFileUrlToPath(import.meta.url);`,
        `const __dirname = topLevelFileUrlToPath(new topLevelURL(".", import.meta.url));`,
      ].join("\n"),
    },
  });
  return outfile;
}

export async function evaluateStage(options: EvalOptions): Promise<Evaluation> {
  mkdirSync(path.join(platform, ".stackfleet-eval"), { recursive: true });
  const dir = mkdtempSync(path.join(platform, ".stackfleet-eval", "run-"));
  try {
    const out = path.join(dir, "result.json");
    const request = {
      root,
      platform,
      stage: options.stage,
      dev: options.dev ?? false,
      account: options.account ?? "111111111111",
      region: options.region ?? "eu-west-1",
      out,
    };
    const file = await bundle(dir, request);
    // Only what a deploy would see: no ambient STACKFLEET_* or AWS settings leak into the stage.
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env };
    await run(process.execPath, [file], { cwd: root, env, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(readFileSync(out, "utf8")) as Evaluation;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
