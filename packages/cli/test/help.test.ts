import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import packageJson from "../package.json" with { type: "json" };
import { buildProgram } from "../src/program";
import { cli } from "./support/cli";

/** Every command path in the tree, read from the program itself so a new command is covered too. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.flatMap((sub) => {
    const path = [...prefix, sub.name()];
    return [path, ...commandPaths(sub, path)];
  });
}

const paths = commandPaths(buildProgram({ io: { out() {}, err() {} }, pollMs: 0, interactive: false }));

describe("stackfleet --help", () => {
  it("knows the whole command tree", () => {
    expect(paths.map((p) => p.join(" "))).toEqual(
      expect.arrayContaining([
        "token",
        "changelog",
        "integrations create",
        "integrations auto-update",
        "integrations skip",
        "integrations unskip",
        "integrations update-now",
        "integrations window",
        "versions release",
        "versions changelog",
        "versions template",
        "publish",
        "rollout status",
        "halt",
        "resume",
        "sandbox set-parameter",
        "clock advance",
        "clock show",
      ]),
    );
  });

  it.each(paths.map((p) => [p.join(" "), p]))("%s --help prints its usage and exits 0", async (_name, path) => {
    const { code, stdout } = await cli([...path, "--help"]);

    expect(code).toBe(0);
    expect(stdout).toContain(`Usage: stackfleet ${path.join(" ")}`);
  });

  it("--help on the program lists the commands and the exit codes", async () => {
    const { code, stdout } = await cli(["--help"]);

    expect(code).toBe(0);
    expect(stdout).toContain("integrations");
    expect(stdout).toMatch(/Exit codes: 0 ok, 1 .*, 2 usage error, 3 cannot reach the API/);
  });

  it("--version prints the package version and exits 0", async () => {
    const { code, stdout } = await cli(["--version"]);

    expect(code).toBe(0);
    expect(stdout).toBe(packageJson.version);
  });
});

describe("usage errors exit 2", () => {
  it.each([
    ["an unknown command", ["deploy"], /unknown command 'deploy'/],
    ["a group without its subcommand", ["versions"], /Usage: stackfleet versions/],
    ["a missing argument", ["versions", "show"], /missing required argument 'version'/],
    ["a missing required option", ["integrations", "create", "--account", "333333333333"], /--region/],
    ["an unknown option", ["versions", "list", "--yaml"], /unknown option '--yaml'/],
    ["an invalid choice", ["integrations", "auto-update", "int_X", "maybe"], /"on" or "off"/],
    ["an invalid duration", ["clock", "advance", "soon"], /duration like 25h/],
    ["a changelog format", ["changelog", "a.yaml", "b.yaml", "--format", "html"], /text, markdown, json/],
    ["a malformed parameter", ["sandbox", "set-parameter", "--integration", "int_X", "EnableAutoUpdate"], /NAME=VALUE/],
  ])("%s", async (_name, argv, message) => {
    const { code, stdout, stderr } = await cli(argv);

    expect(code).toBe(2);
    expect(`${stderr}\n${stdout}`).toMatch(message);
  });
});
