import { writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { testTemplate } from "../../functions/test/support/api";
import { cli, listen, localApi, templateFile } from "./support/cli";

/**
 * `sandbox set-parameter` finds the integration's stack through the API, then asks the sandbox's
 * control route `POST /_sandbox/stacks/parameters` to update it. The route belongs to the sandbox
 * (and has its own tests there); here a recorder stands in for it to pin the request the CLI sends.
 */
async function setup(reply: (body: unknown) => Response) {
  const env = await localApi();
  await cli(["versions", "release", templateFile(testTemplate("1.0.0")), "--version", "1.0.0", ...env.local]);
  const created = await cli([
    "integrations",
    "create",
    "--account",
    "333333333333",
    "--region",
    "eu-west-1",
    "--tenant",
    "ten_console",
    "--json",
    ...env.local,
  ]);
  const integration = JSON.parse(created.stdout) as { id: string; stackName: string };
  const received: Array<{ method: string; path: string; body: unknown }> = [];
  const endpoint = await listen(async (request) => {
    const body = await request.json();
    received.push({ method: request.method, path: new URL(request.url).pathname, body });
    return reply(body);
  });
  writeFileSync(env.stateFile, JSON.stringify({ apiUrl: env.url, sandbox: { endpoint, accounts: [] } }));
  return { ...env, integration, received };
}

describe("stackfleet sandbox set-parameter", () => {
  it("updates the integration's stack with the given parameters, as the customer's console would", async () => {
    const { local, integration, received } = await setup(() => Response.json({ stackStatus: "UPDATE_COMPLETE" }));

    const out = await cli([
      "sandbox",
      "set-parameter",
      "--integration",
      integration.id,
      "EnableAutoUpdate=false",
      "--tenant",
      "ten_console",
      ...local,
    ]);

    expect(out.stderr).toBe("");
    expect(out.code).toBe(0);
    expect(received).toEqual([
      {
        method: "POST",
        path: "/_sandbox/stacks/parameters",
        body: {
          accountId: "333333333333",
          region: "eu-west-1",
          stackName: integration.stackName,
          parameters: { EnableAutoUpdate: "false" },
        },
      },
    ]);
    expect(out.stdout).toBe(`${integration.stackName} in 333333333333 (eu-west-1): EnableAutoUpdate=false`);
  });

  it("says so when the running sandbox has no such control route", async () => {
    const { local, integration } = await setup(() =>
      Response.json({ error: { code: "not_found", message: "POST /_sandbox/stacks/parameters" } }, { status: 404 }),
    );

    const out = await cli(
      [
        "sandbox",
        "set-parameter",
        "--integration",
        integration.id,
        "EnableAutoUpdate=false",
        "--tenant",
        "ten_console",
      ].concat(local),
    );

    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/does not offer POST \/_sandbox\/stacks\/parameters/);
  });

  it("reports an unknown integration from the API before touching the sandbox", async () => {
    const { local, received } = await setup(() => Response.json({}));

    const out = await cli(
      ["sandbox", "set-parameter", "--integration", "int_01JD5Y3M5QK3T3G1ZJ3N4Q2X8V", "EnableAutoUpdate=false"].concat(
        ["--tenant", "ten_console"],
        local,
      ),
    );

    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/404 integration_not_found/);
    expect(received).toEqual([]);
  });
});
