import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Changelog } from "@stackfleet/core/changelog";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "../src/command";
import { main } from "../src/main";

const fixture = (name: string) => fileURLToPath(new URL(`../../core/test/fixtures/changelog/${name}`, import.meta.url));

function capture(): CommandIo & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    stdout: () => out.join("\n"),
    stderr: () => err.join("\n"),
  };
}

describe("stackfleet changelog", () => {
  it("prints plain text by default: titles underlined, no Markdown syntax, and exits 0", async () => {
    const io = capture();

    const code = await main(["changelog", fixture("v1.yaml"), fixture("v2.yaml")], io);

    expect(code).toBe(0);
    expect(io.stdout()).toMatch(/^⚠ Broadens permissions .*\n=+\n/);
    expect(io.stdout()).toMatch(/\nPermissions added\n-+\n/);
    expect(io.stdout()).toContain("- ⚠ IntegrationRole: Allow ec2:Describe* on *");
    expect(io.stdout()).not.toMatch(/^#|`|\*\*/m);
    expect(io.stderr()).toBe("");
  });

  it("prints Markdown with --format markdown", async () => {
    const io = capture();

    expect(await main(["changelog", fixture("v1.yaml"), fixture("v2.yaml"), "--format", "markdown"], io)).toBe(0);
    expect(io.stdout()).toMatch(/^## ⚠ Broadens permissions/);
  });

  it.each([["--json"], ["--format", "json"]])("prints the JSON changelog with %s", async (...flag) => {
    const io = capture();

    const code = await main(["changelog", ...flag, fixture("v1.yaml"), fixture("v2.yaml")], io);

    expect(code).toBe(0);
    const changelog = Changelog.parse(JSON.parse(io.stdout()));
    expect(changelog.permissionsBroadened).toBe(true);
    expect(changelog.from).toBe(fixture("v1.yaml"));
  });

  it("prints an empty changelog for the JSON twin of a YAML template", async () => {
    const io = capture();

    expect(await main(["changelog", fixture("v1.yaml"), fixture("v1.json")], io)).toBe(0);
    expect(io.stdout()).toContain("No changes between these versions.");
  });

  it("prints the parse error with the file name and exits 1 for an invalid template", async () => {
    const dir = mkdtempSync(join(tmpdir(), "stackfleet-changelog-"));
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties: {RoleName: [unclosed\n");
    const io = capture();

    const code = await main(["changelog", fixture("v1.yaml"), broken], io);

    expect(code).toBe(1);
    expect(io.stderr()).toMatch(
      new RegExp(`^stackfleet: ${broken.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: Template is not valid YAML`),
    );
    expect(io.stdout()).toBe("");
  });

  it("exits 1 for a missing file", async () => {
    const io = capture();

    expect(await main(["changelog", fixture("v1.yaml"), "/nonexistent/v9.yaml"], io)).toBe(1);
    expect(io.stderr()).toBe("stackfleet: /nonexistent/v9.yaml: no such file");
  });

  it("exits 2 for a wrong number of files or an unknown option", async () => {
    const one = capture();
    expect(await main(["changelog", fixture("v1.yaml")], one)).toBe(2);
    expect(one.stderr()).toContain("missing required argument 'new'");

    const flag = capture();
    expect(await main(["changelog", "--yaml", fixture("v1.yaml"), fixture("v2.yaml")], flag)).toBe(2);
    expect(flag.stderr()).toContain("unknown option '--yaml'");
  });
});
