import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { MAIN_TO_UPDATER, planDeploy, stepEnvironment, UPDATER_TO_MAIN } from "../packages/cli/src/deploy-plan";

const root = path.resolve(import.meta.dirname, "..");
const run = promisify(execFile);

async function deploy(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run("npm", ["run", "--silent", "deploy", "--", ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const operatorEnv = { STACKFLEET_UPDATER_ACCOUNT_ID: "222222222222", STACKFLEET_PINNED_KEYS: "[]" };

describe("npm run deploy -- --dry-run", () => {
  it("prints main → updater → main with the outputs wired between them, and exits 0", async () => {
    const { code, stdout } = await deploy(
      ["--stage", "production", "--dry-run", "--json", "--main-profile", "vendor", "--updater-profile", "updater"],
      operatorEnv,
    );

    expect(code).toBe(0);
    const { steps } = JSON.parse(stdout) as { steps: { command: string[]; env: object; receives: object }[] };
    expect(steps.map((s) => s.command.join(" "))).toEqual([
      "npx sst deploy --stage production",
      "npx sst deploy --stage production-updater",
      "npx sst deploy --stage production",
    ]);
    expect(steps[0]?.env).toEqual({
      AWS_PROFILE: "vendor",
      STACKFLEET_EXECUTOR_ROLE_NAME: "stackfleet-production-updater-executor",
    });
    expect(steps[1]?.env).toEqual({ AWS_PROFILE: "updater" });
    expect(Object.keys(steps[1]?.receives ?? {})).toEqual([...MAIN_TO_UPDATER]);
    expect(Object.values(steps[1]?.receives ?? {})).toContain("step 1: STACKFLEET_MAIN_TABLE_ARN");
    expect(Object.keys(steps[2]?.receives ?? {})).toEqual([...UPDATER_TO_MAIN]);
  }, 60_000);

  it("prints a readable plan by default", async () => {
    const { code, stdout } = await deploy(["--stage", "production", "--dry-run"], operatorEnv);

    expect(code).toBe(0);
    expect(stdout).toContain("$ npx sst deploy --stage production-updater");
    expect(stdout).toContain("env STACKFLEET_EXECUTOR_ARN ← step 2: STACKFLEET_EXECUTOR_ARN");
  }, 60_000);

  it("refuses to plan without pinned keys unless the main stage's key is explicitly trusted", async () => {
    const refused = await deploy(["--stage", "production", "--dry-run"], {
      STACKFLEET_UPDATER_ACCOUNT_ID: "222222222222",
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("STACKFLEET_PINNED_KEYS is not set");

    const trusted = await deploy(["--stage", "production", "--dry-run", "--json", "--trust-main-keys"], {
      STACKFLEET_UPDATER_ACCOUNT_ID: "222222222222",
    });
    expect(trusted.code).toBe(0);
    expect(JSON.parse(trusted.stdout).steps[1].receives.STACKFLEET_PINNED_KEYS).toBe("step 1: STACKFLEET_PINNED_KEYS");
  }, 60_000);

  it("refuses an updater stage name as --stage", async () => {
    const { code, stderr } = await deploy(["--stage", "production-updater", "--dry-run"], operatorEnv);
    expect(code).toBe(2);
    expect(stderr).toContain("not ending in -updater");
  }, 60_000);
});

describe("wiring outputs between steps", () => {
  it("gives each step the earlier outputs it receives, skipping absent optional ones", () => {
    const steps = planDeploy({ stage: "production" }, operatorEnv);
    const outputs = {
      1: { STACKFLEET_MAIN_TABLE_ARN: "arn:table", STACKFLEET_API_BASE_URL: "https://api", OTHER: "x" },
      2: { STACKFLEET_EXECUTOR_ARN: "arn:executor", STACKFLEET_SCHEDULE_WRITER_ROLE_ARN: "" },
    };

    expect(stepEnvironment(steps[1]!, outputs)).toEqual({
      STACKFLEET_MAIN_TABLE_ARN: "arn:table",
      STACKFLEET_API_BASE_URL: "https://api",
    });
    expect(stepEnvironment(steps[2]!, outputs)).toEqual({
      STACKFLEET_EXECUTOR_ROLE_NAME: "stackfleet-production-updater-executor",
      STACKFLEET_EXECUTOR_ARN: "arn:executor",
    });
  });
});
