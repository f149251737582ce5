// Cold import of the executor's Lambda bundle: what Lambda's init phase pays before the first event.
// Builds the bundle the way Lambda gets it (infra/executor-bundle.mjs: SST's esbuild options, minified,
// CommonJS, AWS SDK external — the runtime provides it), then starts `node` on it `runs` times,
// alternating with a bare `node` on an empty module and with `node` loading only the SDK packages the
// bundle loads at import (the part of a cold start no bundle change removes), and reports medians.
// `--baseline` also builds what SST deploys with the AWS SDK external and nothing else (ES module,
// ElectroDB's own jsonschema) and runs it in the same rotation. `--breakdown` adds the executor
// bundle's bytes per package (npm package, or our workspace package), from esbuild's metafile.
//   npx tsx bench/cold-import.ts [runs=15] [--baseline] [--breakdown]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type BuildOptions, build, type Metafile } from "esbuild";
import { executorBuildOptions } from "../infra/executor-bundle.mjs";
import { executorEnvironment } from "../test/support/executor-env";

const runs = Number(process.argv[2] ?? 15);
// Inside node_modules so the bundle resolves the SDK from the repository, as Lambda's runtime would.
const dir = resolve("node_modules/.cache/stackfleet-bench");
mkdirSync(dir, { recursive: true });
const deployed = executorBuildOptions("packages/functions/src/executor.ts");
const baseline: BuildOptions = {
  ...deployed,
  format: "esm",
  mainFields: ["module", "main"],
  plugins: [],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
};

/** Builds one variant and writes its probes: the bundle's load, and the load of its SDK packages alone. */
async function prepare(name: string, options: BuildOptions) {
  const commonJs = options.format === "cjs";
  const bundlePath = join(dir, `${name}.${commonJs ? "cjs" : "mjs"}`);
  // Lambda's runtime `require`s a .cjs handler and `import()`s a .mjs one; the bundle loads the SDK the same way.
  const load = (path: string) =>
    commonJs ? `require(${JSON.stringify(path)});` : `await import(${JSON.stringify(path)});`;
  const preamble = commonJs
    ? `import { createRequire } from "node:module"; const require = createRequire(import.meta.url);`
    : "";
  const result = await build({ ...options, outfile: bundlePath, metafile: true, logLevel: "warning" });
  const probe = join(dir, `${name}-probe.mjs`);
  writeFileSync(
    probe,
    // The handler must be there, as Lambda looks it up.
    `${preamble} const t = performance.now(); const m = ${load(bundlePath)} const ms = performance.now() - t;
    if (typeof m.handler !== "function") throw new Error("no handler export"); console.log(ms);`,
  );
  // The SDK packages the bundle loads at import (the rest load on first use).
  const sdkAtImport = [
    ...new Set(
      Object.values(result.metafile.inputs).flatMap((input) =>
        input.imports
          .filter((i) => i.external && i.kind !== "dynamic-import" && i.path.startsWith("@aws-sdk/"))
          .map((i) => i.path),
      ),
    ),
  ].sort();
  const sdkOnly = join(dir, `${name}-sdk-only.mjs`);
  writeFileSync(
    sdkOnly,
    `${preamble} const t = performance.now(); ${sdkAtImport.map(load).join(" ")} console.log(performance.now() - t);`,
  );
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => n + o.bytes, 0);
  return {
    name,
    bytes,
    breakdown: breakdown(result.metafile),
    probe,
    sdkOnly,
    sdkAtImport,
    bundle: [] as Run[],
    sdk: [] as Run[],
  };
}
type Run = { wallMs: number; importMs: number };

/** KiB in the output per npm package (`node_modules/<name>`) or workspace folder (`packages/core`), largest first. */
function breakdown(metafile: Metafile): Record<string, number> {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs))
    for (const [path, input] of Object.entries(output.inputs)) {
      const owner = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? path.split("/").slice(0, 2).join("/");
      bytes.set(owner, (bytes.get(owner) ?? 0) + input.bytesInOutput);
    }
  return Object.fromEntries(
    [...bytes]
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1])
      .map(([owner, n]) => [owner, +(n / 1024).toFixed(1)]),
  );
}

const bare = join(dir, "bare.mjs");
writeFileSync(bare, "console.log(0);");

// A complete executor configuration: the entry validates it at import, as in Lambda.
const env = { ...process.env, ...executorEnvironment() };

function start(file: string): Run {
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

const variants = [await prepare("executor", deployed)];
if (process.argv.includes("--baseline")) variants.push(await prepare("baseline", baseline));
for (const v of variants) start(v.probe); // warms the file cache, as a provisioned runtime's disk would be
const empty: Run[] = [];
for (let i = 0; i < runs; i++) {
  empty.push(start(bare));
  for (const v of variants) {
    v.bundle.push(start(v.probe));
    v.sdk.push(start(v.sdkOnly));
  }
}
const bareWall = median(empty.map((r) => r.wallMs));
const report = (v: (typeof variants)[number]) => {
  const wall = median(v.bundle.map((r) => r.wallMs));
  return {
    bundleKiB: +(v.bytes / 1024).toFixed(1),
    ...(process.argv.includes("--breakdown") ? { bundleKiBByPackage: v.breakdown } : {}),
    importMs: median(v.bundle.map((r) => r.importMs)),
    sdkAtImport: v.sdkAtImport,
    sdkImportMs: median(v.sdk.map((r) => r.importMs)),
    wallMs: { executor: wall, bareNode: bareWall, difference: +(wall - bareWall).toFixed(1) },
    sdkOnlyWallMs: median(v.sdk.map((r) => r.wallMs)),
    ratioToBareNode: +(wall / bareWall).toFixed(2),
  };
};
console.log(JSON.stringify({ runs, ...Object.fromEntries(variants.map((v) => [v.name, report(v)])) }, null, 2));
