import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "@stackfleet/sandbox/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseQuickCreateUrl } from "../src/commands/sandbox";
import { cli } from "./support/cli";

const TEMPLATE_URL = "https://acme-templates.s3.amazonaws.com/integration/v1.json";
const TEMPLATE = JSON.stringify({
  Parameters: { ExternalId: { Type: "String" }, EnableAutoUpdate: { Type: "String", Default: "true" } },
  Resources: { Marker: { Type: "AWS::SSM::Parameter", Properties: { Type: "String", Value: { Ref: "ExternalId" } } } },
  Outputs: { ExternalIdEcho: { Value: { Ref: "ExternalId" } } },
});

describe("parseQuickCreateUrl", () => {
  it("reads region, template, stack name and param_ values from a quick-create link", () => {
    const link =
      "https://console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/quickcreate?templateURL=" +
      encodeURIComponent(TEMPLATE_URL) +
      "&stackName=Acme-Integration&param_ExternalId=ext-123&param_EnableAutoUpdate=true";

    expect(parseQuickCreateUrl(link)).toEqual({
      region: "eu-west-1",
      templateUrl: TEMPLATE_URL,
      stackName: "Acme-Integration",
      parameters: [
        { ParameterKey: "ExternalId", ParameterValue: "ext-123" },
        { ParameterKey: "EnableAutoUpdate", ParameterValue: "true" },
      ],
    });
  });

  it("accepts the create/review form and the Region in the host name", () => {
    const link = `https://us-west-2.console.aws.amazon.com/cloudformation/home#/stacks/create/review?templateURL=${encodeURIComponent(TEMPLATE_URL)}`;

    expect(parseQuickCreateUrl(link)).toMatchObject({
      region: "us-west-2",
      templateUrl: TEMPLATE_URL,
      stackName: undefined,
    });
  });

  it("rejects links that are not CloudFormation quick-create links", () => {
    expect(() => parseQuickCreateUrl("https://console.aws.amazon.com/cloudformation/home#/stacks")).toThrow(
      /quick-create/,
    );
    expect(() =>
      parseQuickCreateUrl("https://console.aws.amazon.com/cloudformation/home#/stacks/quickcreate?stackName=x"),
    ).toThrow(/templateURL/);
  });
});

describe("stackfleet sandbox and clock against a running sandbox", () => {
  let sandbox: Sandbox;
  let dir: string;
  let state: string[];

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      clock: "manual",
      fetchTemplate: async (url) => {
        if (url !== TEMPLATE_URL) throw new Error(`unknown template ${url}`);
        return TEMPLATE;
      },
    });
    dir = await mkdtemp(join(tmpdir(), "stackfleet-cli-"));
    const configPath = join(dir, "local.json");
    await writeFile(
      configPath,
      JSON.stringify({
        apiUrl: "http://127.0.0.1:1",
        sandbox: { endpoint: sandbox.endpoint, accounts: sandbox.accounts },
      }),
    );
    state = ["--state-file", configPath];
  });

  afterAll(async () => {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("install creates the stack as a customer account and prints status and outputs", async () => {
    const link =
      "https://console.aws.amazon.com/cloudformation/home?region=us-east-1#/stacks/quickcreate?templateURL=" +
      encodeURIComponent(TEMPLATE_URL) +
      "&stackName=Acme-Cli&param_ExternalId=ext-cli-1";

    const { code, stdout } = await cli(["sandbox", "install", "--url", link, "--account", "444444444444", ...state]);

    expect(stdout).toContain("Status: CREATE_COMPLETE");
    expect(stdout).toContain("  ExternalIdEcho = ext-cli-1");
    expect(stdout.split("\n")[0]).toContain("arn:aws:cloudformation:us-east-1:444444444444:stack/Acme-Cli/");
    expect(code).toBe(0);
  });

  it("install refuses a link that is not a quick-create link with a usage error", async () => {
    const { code, stderr } = await cli(["sandbox", "install", "--url", "https://example.com/", ...state]);

    expect(code).toBe(2);
    expect(stderr).toMatch(/--url: not a CloudFormation quick-create link/);
  });

  it("accounts lists the sandbox's accounts and keys, and --json gives the state file's sandbox", async () => {
    const text = await cli(["sandbox", "accounts", ...state]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^333333333333 +customer /m);

    const json = JSON.parse((await cli(["sandbox", "accounts", "--json", ...state])).stdout);
    expect(json).toEqual({ endpoint: sandbox.endpoint, accounts: sandbox.accounts });
  });

  it("clock show and clock advance move the sandbox's manual clock", async () => {
    const before = JSON.parse((await cli(["clock", "show", "--json", ...state])).stdout).now as string;

    const advanced = await cli(["clock", "advance", "25h", ...state]);

    expect(advanced.code).toBe(0);
    const expected = new Date(Date.parse(before) + 25 * 3_600_000).toISOString();
    expect(advanced.stdout).toMatch(new RegExp(`^now: ${expected.replace(/[.]/g, "\\.")}`));
    expect(sandbox.control.now().toISOString()).toBe(expected);
  });

  it("fails with exit 3 and says to start one when no sandbox is running", async () => {
    const { code, stderr } = await cli(["sandbox", "accounts", "--state-file", join(dir, "missing.json")]);

    expect(code).toBe(3);
    expect(stderr).toMatch(/no running sandbox/);
    expect(stderr).toMatch(/npm start/);
  });
});
