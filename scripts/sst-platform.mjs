#!/usr/bin/env node
/**
 * Makes SST's platform types (`.sst/platform`) available so `tsc` checks `sst.config.ts` and
 * `infra/` against SST's real components, on a clean clone with no AWS credentials and no network
 * beyond the npm registry.
 *
 * `sst install` normally does this with its own bun, which it downloads from GitHub; that download
 * is what fails offline. SST_NO_BUN makes it use npm instead, and with install scripts off nothing
 * from the platform's ~300 packages runs: we only need their type declarations. If that still fails
 * (say a future SST drops SST_NO_BUN) but the platform was already extracted, we finish the job
 * ourselves: `npm install` in `.sst/platform` and the same `config.d.ts` SST would have written.
 *
 * Two adjustments keep SST's sources from changing what `tsc` says about ours. The platform ships
 * TypeScript sources, not declarations, so `skipLibCheck` does not cover them and our stricter flags
 * (noUncheckedIndexedAccess, noImplicitOverride) would report ~170 errors inside SST: each source
 * gets `// @ts-nocheck`, which silences its own diagnostics while its types still flow into ours.
 * And the platform's dev dependencies are left out: `@types/bun` (imported by `src/config.ts`)
 * would otherwise turn every `setTimeout` in the repo into bun's `Timer`.
 *
 * A stamp with the installed SST version makes later runs return at once; `rm -rf .sst` forces a
 * fresh install (needed after adding a provider to `app()`).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const platform = path.join(root, ".sst", "platform");
const stamp = path.join(platform, ".stackfleet-sst-version");
const configTypes = path.join(platform, "config.d.ts");
const awsProvider = path.join(platform, "node_modules", "@pulumi", "aws", "package.json");

const sstVersion = JSON.parse(readFileSync(path.join(root, "node_modules", "sst", "package.json"), "utf8")).version;
const log = (message) => console.log(`sst-platform: ${message}`);

const noCheck = "// @ts-nocheck (added by scripts/sst-platform.mjs: SST's sources, not ours)\n";
const sources = path.join(platform, "src");

const ready = () =>
  existsSync(configTypes) &&
  existsSync(awsProvider) &&
  existsSync(path.join(sources, "config.ts")) &&
  readFileSync(path.join(sources, "config.ts"), "utf8").startsWith(noCheck);

if (ready() && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === sstVersion) {
  log(`types for sst ${sstVersion} already in .sst/platform`);
  process.exit(0);
}

const started = Date.now();
log(`installing platform types for sst ${sstVersion} into .sst/platform (once per sst version)`);

const install = run(process.execPath, [path.join(root, "node_modules", "sst", "bin", "sst.mjs"), "install"], root, {
  SST_NO_BUN: "1",
  SST_SKIP_DEPENDENCY_CHECK: "1",
  SST_TELEMETRY_DISABLED: "1",
  // Only `app()` is evaluated, so the stage name merely has to exist to avoid a prompt.
  SST_STAGE: process.env.SST_STAGE || "typecheck",
});

if (!install.ok) {
  if (!existsSync(path.join(platform, "src", "config.ts"))) {
    fail("`sst install` failed before extracting .sst/platform", install.output);
  }
  log("`sst install` stopped after extracting the platform; installing its packages with npm");
  const npm = run("npm", ["install", "--ignore-scripts", "--omit=dev", "--no-audit", "--no-fund"], platform, {});
  if (!npm.ok) fail("`npm install` in .sst/platform failed", npm.output);
}

if (!existsSync(configTypes)) {
  log("writing .sst/platform/config.d.ts (what `sst install` writes for the aws provider)");
  writeFileSync(configTypes, configShim());
}
for (const file of readdirSync(sources, { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
  const source = readFileSync(path.join(sources, file), "utf8");
  if (!source.startsWith(noCheck)) writeFileSync(path.join(sources, file), noCheck + source);
}
if (!ready()) fail("the platform is incomplete: @pulumi/aws or config.d.ts is missing", "");

writeFileSync(stamp, `${sstVersion}\n`);
log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);

/**
 * Runs a command quietly (its output only matters when it fails). Install scripts stay off for
 * every npm involved, and the variables `npm run` sets for this project are dropped so the nested
 * npm treats `.sst/platform` as its own project rather than as part of our workspace.
 */
function run(command, args, cwd, extraEnv) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) =>
        !/^npm_(package_|lifecycle_|command$|config_(local_prefix|workspaces?|include_workspace_root)$)/i.test(key),
    ),
  );
  Object.assign(env, {
    npm_config_ignore_scripts: "true",
    npm_config_omit: "dev",
    npm_config_audit: "false",
    npm_config_fund: "false",
    ...extraEnv,
  });
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`;
  return { ok: result.status === 0, output };
}

function fail(message, output) {
  if (output.trim()) console.error(output.trim().split("\n").slice(-30).join("\n"));
  console.error(`sst-platform: ${message}`);
  process.exit(1);
}

/** The file `sst install` generates (SST 4.x `writeTypes`) for an app whose only provider is aws. */
function configShim() {
  return `import "./src/global.d.ts"
import "../types.generated"
import { AppInput, App, Config } from "./src/config"
import * as _aws from "@pulumi/aws";


declare global {
  // @ts-expect-error
  export import aws = _aws
  interface Providers {
    providers?: {
      "aws"?:  (_aws.ProviderArgs & { package?: string, version?: string }) | string;
    }
  }
  export const $config: (
    input: Omit<Config, "app"> & {
      app(input: AppInput): Promise<Omit<App, "providers"> & Providers> | (Omit<App, "providers"> & Providers);
    },
  ) => Config;
}
`;
}
