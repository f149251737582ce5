import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { testTemplate } from "../../functions/test/support/api";
import { cli, localApi, tempDir, templateFile } from "./support/cli";

const TENANT = "ten_cli";

/** A local API with 1.0.0 published through the CLI, as an operator token minted from the data dir. */
async function withVersion() {
  const env = await localApi();
  const file = templateFile(testTemplate("1.0.0"));
  const published = await cli(["versions", "release", file, "--version", "1.0.0", ...env.local]);
  expect(published.stderr).toBe("");
  expect(published.code).toBe(0);
  return { ...env, file };
}

describe("stackfleet against the API (tokens minted from the local data dir)", () => {
  it("versions release, list --json, show and changelog", async () => {
    const { local } = await withVersion();

    const list = await cli(["versions", "list", "--json", ...local]);
    expect(list.code).toBe(0);
    const page = JSON.parse(list.stdout);
    expect(page).toMatchObject({ items: [{ version: "1.0.0", state: "published" }], cursor: null });

    const show = await cli(["versions", "show", "1.0.0", ...local]);
    expect(show.stdout).toMatch(/^version: +1\.0\.0$/m);
    expect(show.stdout).toMatch(/^state: +published$/m);

    const changelog = await cli(["versions", "changelog", "1.0.0", "--format", "json", ...local]);
    expect(JSON.parse(changelog.stdout)).toMatchObject({ schemaVersion: 1 });
  });

  it("publish stays an alias of versions release", async () => {
    const { local } = await localApi();

    const out = await cli(["publish", templateFile(testTemplate("1.0.0")), "--version", "1.0.0", "--json", ...local]);

    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ version: "1.0.0", plan: expect.any(Object) });
  });

  it("integrations create, list, show and auto-update as the tenant's admin", async () => {
    const { local } = await withVersion();
    const asTenant = [...local, "--tenant", TENANT];

    const created = await cli([
      "integrations",
      "create",
      "--account",
      "333333333333",
      "--region",
      "eu-west-1",
      "--json",
      ...asTenant,
    ]);
    expect(created.code).toBe(0);
    const integration = JSON.parse(created.stdout);
    expect(integration).toMatchObject({
      id: expect.stringMatching(/^int_/),
      tenantId: TENANT,
      status: "pending",
      install: { version: "1.0.0", quickCreateUrl: expect.stringContaining("console.aws.amazon.com/cloudformation") },
    });

    const list = await cli(["int", "list", "--json", ...asTenant]);
    expect(JSON.parse(list.stdout).items.map((i: { id: string }) => i.id)).toEqual([integration.id]);

    const show = await cli(["integrations", "show", integration.id, ...asTenant]);
    expect(show.stdout).toMatch(/^status: +pending$/m);
    expect(show.stdout).toContain("no pending update");

    const off = await cli([
      "integrations",
      "auto-update",
      integration.id,
      "off",
      "--reason",
      "change freeze",
      ...asTenant,
    ]);
    expect(off).toMatchObject({ code: 0, stdout: `${integration.id}: auto-update off` });
    const after = JSON.parse((await cli(["integrations", "show", integration.id, "--json", ...asTenant])).stdout);
    expect(after).toMatchObject({ autoUpdate: false, autoUpdateReason: "change freeze" });
  });

  it("an operator reaches a tenant's integrations with --tenant on a given token", async () => {
    const { url, dataDir } = await withVersion();
    const token = (await cli(["token", "--role", "operator", "--data-dir", dataDir])).stdout;

    const list = await cli(["integrations", "list", "--api", url, "--token", token, "--tenant", TENANT, "--json"]);

    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual({ items: [], cursor: null });
  });

  it("halt VERSION stops the rollout; rollout status --watch ends on the halt; resume lifts it", async () => {
    const { local } = await withVersion();

    const halt = await cli(["halt", "1.0.0", "--reason", "bad canary", ...local]);
    expect(halt).toMatchObject({ code: 0, stdout: "1.0.0: halted (bad canary)" });

    const watch = await cli(["rollout", "status", "1.0.0", "--watch", ...local]);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(/^1\.0\.0: halted \(bad canary\); grace ends /);

    const status = JSON.parse((await cli(["rollout", "status", "1.0.0", "--json", ...local])).stdout);
    expect(status).toMatchObject({ version: "1.0.0", state: "halted", byState: {}, waves: {}, failures: [] });

    const resume = await cli(["resume", "1.0.0", ...local]);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toMatch(/^1\.0\.0: published/);
  });

  it("halt with no version is the global kill switch; controls shows it", async () => {
    const { local } = await localApi();

    expect((await cli(["halt", "--reason", "incident 42", ...local])).code).toBe(0);
    const controls = JSON.parse((await cli(["controls", "--json", ...local])).stdout);
    expect(controls).toMatchObject({ halted: true, reason: "incident 42", changedBy: expect.any(String) });

    expect((await cli(["resume", ...local])).code).toBe(0);
    expect((await cli(["controls", ...local])).stdout).toMatch(/^rollouts run/);
  });

  it("versions template downloads the exact bytes, or says the API does not offer it", async () => {
    const { url, local, file, dataDir } = await withVersion();
    const out = join(tempDir(), "1.0.0.yaml");
    const token = (await cli(["token", "--role", "operator", "--data-dir", dataDir])).stdout;
    const route = await fetch(`${url}/v1/versions/1.0.0/template`, { headers: { authorization: `Bearer ${token}` } });

    const download = await cli(["versions", "template", "1.0.0", "-o", out, ...local]);

    if (
      route.status === 404 &&
      ((await route.json()) as { error: { code: string } }).error.code === "route_not_found"
    ) {
      expect(download.code).toBe(1);
      expect(download.stderr).toContain("does not offer template downloads (GET /v1/versions/{version}/template)");
    } else {
      expect(download.code).toBe(0);
      const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
      expect(sha(readFileSync(out))).toBe(sha(readFileSync(file)));
    }
  });
});

describe("stackfleet errors", () => {
  it("prints the API's code and message with a hint, and exits 1", async () => {
    const { local } = await localApi();

    const { code, stdout, stderr } = await cli(["versions", "show", "9.9.9", ...local]);

    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^stackfleet: GET \/v1\/versions\/9\.9\.9 → 404 version_not_found: /);
    expect(stderr).toContain("hint: `stackfleet versions list` shows the published versions");
  });

  it("refuses an operator action for a tenant-admin with 403 and a hint", async () => {
    const { local } = await localApi();

    const { code, stderr } = await cli(["halt", "--tenant", TENANT, ...local]);

    expect(code).toBe(1);
    expect(stderr).toMatch(/403 operator_required/);
    expect(stderr).toMatch(/hint: this needs an operator token/);
  });

  it("exits 3 when nothing answers at the API URL", async () => {
    const { code, stderr } = await cli(["versions", "list", "--api", "http://127.0.0.1:9", "--token", "t"]);

    expect(code).toBe(3);
    expect(stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(stderr).toMatch(/hint: .*npm start/);
  });

  it("exits 2 without a token for an API that is not the local one", async () => {
    const { code, stderr } = await cli([
      "versions",
      "list",
      "--api",
      "https://api.example.test",
      "--state-file",
      join(tempDir(), "none.json"),
    ]);

    expect(code).toBe(2);
    expect(stderr).toMatch(/no token for https:\/\/api\.example\.test/);
    expect(stderr).toMatch(/STACKFLEET_TOKEN/);
  });
});
