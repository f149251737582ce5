import { describe, expect, it } from "vitest";
import { testTemplate } from "../../functions/test/support/api";
import { cli, localApi, templateFile } from "./support/cli";

async function integration() {
  const env = await localApi();
  await cli(["versions", "release", templateFile(testTemplate("1.0.0")), "--version", "1.0.0", ...env.local]);
  const tenant = [...env.local, "--tenant", "ten_ctl"];
  const created = await cli([
    "integrations",
    "create",
    "--account",
    "333333333333",
    "--region",
    "eu-west-1",
    "--json",
    ...tenant,
  ]);
  return { id: JSON.parse(created.stdout).id as string, tenant };
}

describe("stackfleet integrations: the customer's controls", () => {
  it("window sets, shows and clears the maintenance window", async () => {
    const { id, tenant } = await integration();

    const set = await cli([
      "integrations",
      "window",
      id,
      "--days",
      "tue,thu",
      "--start",
      "02:00",
      "--duration",
      "2h",
      "--timezone",
      "Europe/Berlin",
      ...tenant,
    ]);
    expect(set.stderr).toBe("");
    expect(set.stdout).toBe(`${id}: tue,thu 02:00 for 120m (Europe/Berlin); 0 waiting update(s) moved`);
    const shown = await cli(["integrations", "window", id, "--json", ...tenant]);
    expect(JSON.parse(shown.stdout)).toEqual({
      days: [2, 4],
      startMinute: 120,
      durationMinutes: 120,
      timezone: "Europe/Berlin",
    });

    expect((await cli(["integrations", "window", id, "--clear", ...tenant])).code).toBe(0);
    expect((await cli(["integrations", "window", id, ...tenant])).stdout).toMatch(/^no maintenance window/);
  });

  it("window refuses half a window with a usage error and changes nothing", async () => {
    const { id, tenant } = await integration();

    const half = await cli(["integrations", "window", id, "--days", "mon", ...tenant]);

    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/needs --days, --start and --duration/);
    expect((await cli(["integrations", "window", id, ...tenant])).stdout).toMatch(/^no maintenance window/);
  });

  it("skip and unskip a version", async () => {
    const { id, tenant } = await integration();

    const skip = await cli(["integrations", "skip", id, "1.0.0", ...tenant]);
    expect(skip.stdout).toMatch(new RegExp(`^${id}: skips 1\\.0\\.0`));
    const after = JSON.parse((await cli(["integrations", "show", id, "--json", ...tenant])).stdout);
    expect(after.skippedVersions).toEqual(["1.0.0"]);

    const unskip = await cli(["integrations", "unskip", id, "1.0.0", "--json", ...tenant]);
    expect(unskip.code).toBe(0);
    expect(JSON.parse(unskip.stdout).integration.skippedVersions).toEqual([]);
  });

  it("update-now on an integration that is not connected is the API's 409 with its code", async () => {
    const { id, tenant } = await integration();

    const out = await cli(["integrations", "update-now", id, "1.0.0", ...tenant]);

    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/→ 409 \w+: /);
    expect(out.stderr).toMatch(/^hint: /m);
  });
});
