import { execFile } from "node:child_process";
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/**
 * `npm run typecheck` is the only check `sst.config.ts` and `infra/` get before a real deploy, so it
 * must (a) cover them and (b) check them against SST's real component types, not `any`.
 * Each case type-checks a fresh copy of `sst.config.ts` + `infra/` inside `.sst/` (git-ignored,
 * outside the root tsconfig), so a deliberate error never reaches the shared tree.
 */
const root = path.resolve(import.meta.dirname, "..");
const tsc = path.join(root, "node_modules", ".bin", "tsc");
const run = promisify(execFile);

interface Result {
  code: number;
  output: string;
}

async function typecheck(project: string, ...args: string[]): Promise<Result> {
  try {
    const { stdout, stderr } = await run(tsc, ["-p", project, ...args], { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === "number" ? failed.code : 1,
      output: `${failed.stdout ?? ""}${failed.stderr ?? ""}`,
    };
  }
}

const copies: string[] = [];

/** A copy laid out like the repo root, seeing the same `.sst/platform` and the same compiler options. */
function copyOfInfra(): string {
  const dir = mkdtempSync(path.join(root, ".sst", "typecheck-"));
  copies.push(dir);
  cpSync(path.join(root, "sst.config.ts"), path.join(dir, "sst.config.ts"));
  cpSync(path.join(root, "infra"), path.join(dir, "infra"), { recursive: true });
  mkdirSync(path.join(dir, ".sst"));
  symlinkSync(path.join(root, ".sst", "platform"), path.join(dir, ".sst", "platform"), "dir");
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({ extends: path.join(root, "tsconfig.json"), include: ["sst.config.ts", "infra"] }),
  );
  return dir;
}

const errorsIn = (output: string, file: string) =>
  output.split("\n").filter((line) => line.startsWith(file) && line.includes("error TS"));

beforeAll(async () => {
  // Cold on a clean clone (~1-2 min: npm installs SST's platform packages), instant afterwards.
  await run(process.execPath, [path.join(root, "scripts", "sst-platform.mjs")], { cwd: root });
}, 300_000);

afterAll(() => {
  for (const dir of copies) rmSync(dir, { recursive: true, force: true });
});

describe("infra type-check", () => {
  it("covers sst.config.ts and every infra module in the root tsconfig", async () => {
    const { code, output } = await typecheck("tsconfig.json", "--listFilesOnly");
    const files = output.split("\n").map((line) => path.relative(root, line.trim()));

    expect(code).toBe(0);
    expect(files).toContain("sst.config.ts");
    for (const module of readdirSync(path.join(root, "infra")).filter((name) => name.endsWith(".ts"))) {
      expect(files).toContain(path.join("infra", module));
    }
  }, 120_000);

  it("passes for the committed sst.config.ts and infra/", async () => {
    const dir = copyOfInfra();

    const { code, output } = await typecheck(path.join(dir, "tsconfig.json"));

    expect(output).toBe("");
    expect(code).toBe(0);
  }, 120_000);

  it("fails on an infra module that misuses an SST component", async () => {
    const dir = copyOfInfra();
    writeFileSync(
      path.join(dir, "infra", "broken.ts"),
      'export const broken = new sst.aws.Dynamo("Broken", { fields: 5, primaryIndex: { hashKey: "pk" } });\n',
    );

    const { code, output } = await typecheck(path.join(dir, "tsconfig.json"));

    expect(code).not.toBe(0);
    const errors = errorsIn(output, path.relative(root, path.join(dir, "infra", "broken.ts")));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /\(1,\d+\): error TS2322: Type 'number' is not assignable to type 'Input<Record<string, /,
    );
  }, 120_000);

  it("fails on sst.config.ts returning an app the platform does not accept", async () => {
    const dir = copyOfInfra();
    appendFileSync(
      path.join(dir, "sst.config.ts"),
      'export const broken = $config({ app: () => ({ name: "x", removal: "sometimes" }), async run() {} });\n',
    );

    const { code, output } = await typecheck(path.join(dir, "tsconfig.json"));

    expect(code).not.toBe(0);
    const errors = errorsIn(output, path.relative(root, path.join(dir, "sst.config.ts")));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /error TS2322: Type '"sometimes"' is not assignable to type '"remove" \| "retain" \| "retain-all"/,
    );
  }, 120_000);
});
