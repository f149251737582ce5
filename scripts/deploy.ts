import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import {
  DEPLOY_RECORDS_DIR,
  DeployPlanError,
  formatPlan,
  planDeploy,
  stageOf,
  stepEnvironment,
} from "../packages/cli/src/deploy-plan";

/**
 * `npm run deploy -- --stage production [--dry-run]`: main → updater → main again over `sst deploy`,
 * each step's outputs (`.sst/outputs.json`) wired into the next step's environment. The operator's
 * own STACKFLEET_* settings pass through unchanged; see the README's deploy runbook.
 */

const root = path.resolve(import.meta.dirname, "..");

interface Cli {
  stage: string;
  dryRun?: boolean;
  json?: boolean;
  mainProfile?: string;
  updaterProfile?: string;
  trustMainKeys?: boolean;
  sst?: string;
}

function readOutputs(): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(root, ".sst", "outputs.json"), "utf8")) as Record<string, unknown>;
}

function main(argv: string[]): number {
  const cli = new Command("deploy")
    .description("Deploy both Stackfleet stages: main, updater, main again")
    .requiredOption("--stage <name>", "the main stage (the updater is <name>-updater)")
    .option("--dry-run", "print the plan and exit")
    .option("--json", "with --dry-run: print the plan as JSON")
    .option("--main-profile <profile>", "AWS profile of the main (vendor) account")
    .option("--updater-profile <profile>", "AWS profile of the updater account")
    .option("--trust-main-keys", "pin the main stage's release key for the executor (review it first)")
    .option("--sst <path>", "the sst command to run (default: npx sst)")
    .exitOverride()
    .parse(argv, { from: "user" })
    .opts<Cli>();

  let steps: ReturnType<typeof planDeploy>;
  try {
    steps = planDeploy(cli, process.env);
  } catch (error) {
    if (!(error instanceof DeployPlanError)) throw error;
    console.error(`deploy: ${error.message}`);
    return 2;
  }
  if (cli.dryRun) {
    console.log(cli.json ? JSON.stringify({ steps }, null, 2) : formatPlan(steps));
    return 0;
  }

  const outputs: Record<number, Record<string, unknown>> = {};
  for (const [index, step] of steps.entries()) {
    console.log(`\n== ${index + 1}/${steps.length} ${step.title}`);
    const [command = "npx", ...args] = cli.sst ? [cli.sst, ...step.command.slice(2)] : step.command;
    const result = spawnSync(command, args, {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, ...stepEnvironment(step, outputs) },
    });
    if (result.status !== 0) {
      console.error(`deploy: step ${index + 1} failed (exit ${result.status}); later steps were not run`);
      return result.status ?? 1;
    }
    outputs[index + 1] = readOutputs();
    // Kept per stage: `stackfleet doctor --stage X` checks what each stage really output.
    mkdirSync(path.join(root, DEPLOY_RECORDS_DIR), { recursive: true });
    writeFileSync(
      path.join(root, DEPLOY_RECORDS_DIR, `${stageOf(step)}.json`),
      `${JSON.stringify(outputs[index + 1], null, 2)}\n`,
    );
  }
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  const code = (error as { exitCode?: number }).exitCode;
  process.exitCode = typeof code === "number" ? (code === 0 ? 0 : 2) : 1;
  if (typeof code !== "number") console.error(error);
}
