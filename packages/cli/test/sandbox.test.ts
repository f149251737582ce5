import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Sandbox, startSandbox } from "@stackfleet/sandbox/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseQuickCreateUrl, sandboxCommand } from "../src/commands/sandbox";

const TEMPLATE_URL = "https://acme-templates.s3.amazonaws.com/integration/v1.json";
const TEMPLATE = JSON.stringify({
  Parameters: { ExternalId: { Type: "String" }, EnableAutoUpdate: { Type: "String", Default: "true" } },
  Resources: { Marker: { Type: "AWS::SSM::Parameter", Properties: { Type: "String", Value: { Ref: "ExternalId" } } } },
  Outputs: { ExternalIdEcho: { Value: { Ref: "ExternalId" } } },
});

function capture() {
  const lines: string[] = [];
  return { lines, io: { out: (t: string) => void lines.push(t), err: (t: string) => void lines.push(`ERR ${t}`) } };
}

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

describe("stackfleet sandbox", () => {
  let sandbox: Sandbox;
  let dir: string;
  let configPath: string;

  beforeAll(async () => {
    sandbox = await startSandbox({
      port: 0,
      fetchTemplate: async (url) => {
        if (url !== TEMPLATE_URL) throw new Error(`unknown template ${url}`);
        return TEMPLATE;
      },
    });
    dir = await mkdtemp(join(tmpdir(), "stackfleet-cli-"));
    configPath = join(dir, "local.json");
    await writeFile(
      configPath,
      JSON.stringify({
        apiUrl: "http://127.0.0.1:1",
        sandbox: { endpoint: sandbox.endpoint, accounts: sandbox.accounts },
      }),
    );
  });

  afterAll(async () => {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("install creates the stack as a customer account and prints status and outputs", async () => {
    const { lines, io } = capture();
    const link =
      "https://console.aws.amazon.com/cloudformation/home?region=us-east-1#/stacks/quickcreate?templateURL=" +
      encodeURIComponent(TEMPLATE_URL) +
      "&stackName=Acme-Cli&param_ExternalId=ext-cli-1";

    const code = await sandboxCommand({ configPath, pollMs: 10 }).run(
      ["install", "--url", link, "--account", "444444444444"],
      io,
    );

    expect(lines.join("\n")).toContain("Status: CREATE_COMPLETE");
    expect(lines).toContain("  ExternalIdEcho = ext-cli-1");
    expect(lines[0]).toContain("arn:aws:cloudformation:us-east-1:444444444444:stack/Acme-Cli/");
    expect(code).toBe(0);
  });

  it("accounts lists the sandbox's accounts and keys", async () => {
    const { lines, io } = capture();

    expect(await sandboxCommand({ configPath }).run(["accounts"], io)).toBe(0);

    expect(lines.some((l) => l.includes("333333333333") && l.includes("customer"))).toBe(true);
  });

  it("fails clearly when no sandbox is running", async () => {
    const { io } = capture();

    await expect(sandboxCommand({ configPath: join(dir, "missing.json") }).run(["accounts"], io)).rejects.toThrow(
      /npm start/,
    );
  });
});
