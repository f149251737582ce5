import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  type Parameter,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { Command, InvalidArgumentError } from "commander";
import { type CliContext, invocation } from "../context";
import { CliError, ExitCode } from "../errors";
import { show, table } from "../output";
import { sandboxControl } from "../sandbox-control";
import { type LocalRuntime, requireSandbox } from "../target";
import { type Integration, integrationPath } from "../views";

export interface QuickCreateLink {
  region: string;
  templateUrl: string;
  stackName?: string;
  parameters: Parameter[];
}

/**
 * Reads an AWS console quick-create link (`…/cloudformation/home?region=R#/stacks/quickcreate?
 * templateURL=…&stackName=…&param_X=…`, or the `#/stacks/create/review?…` form).
 */
export function parseQuickCreateUrl(link: string): QuickCreateLink {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new Error(`not a URL: ${link}`);
  }
  const [route = "", query = ""] = url.hash.replace(/^#/, "").split("?", 2);
  if (!/^\/stacks\/(quickcreate|create\/review)$/.test(route)) {
    throw new Error(`not a CloudFormation quick-create link (fragment #${route})`);
  }
  const params = new URLSearchParams(query);
  const templateUrl = params.get("templateURL") ?? params.get("templateUrl");
  if (!templateUrl) throw new Error("the link has no templateURL");
  const region =
    url.searchParams.get("region") ??
    /^([a-z0-9-]+)\.console\.aws\.amazon\.com$/.exec(url.hostname)?.[1] ??
    "us-east-1";
  const parameters: Parameter[] = [];
  for (const [key, value] of params) {
    if (key.startsWith("param_")) parameters.push({ ParameterKey: key.slice("param_".length), ParameterValue: value });
  }
  return { region, templateUrl, stackName: params.get("stackName") ?? undefined, parameters };
}

const TERMINAL = /(_COMPLETE|_FAILED)$/;

type SandboxInfo = NonNullable<LocalRuntime["sandbox"]>;

interface InstallOptions {
  url: string;
  account?: string;
  stackName?: string;
}

/** Creates the quick-create link's stack as the customer's console would, and waits for it. */
async function install(ctx: CliContext, o: InstallOptions, sandbox: SandboxInfo): Promise<void> {
  let parsed: QuickCreateLink;
  try {
    parsed = parseQuickCreateUrl(o.url);
  } catch (e) {
    throw new CliError(ExitCode.usage, `--url: ${(e as Error).message}`);
  }
  const account = o.account
    ? sandbox.accounts.find((a) => a.accountId === o.account)
    : sandbox.accounts.find((a) => a.role === "customer");
  if (!account)
    throw new CliError(
      ExitCode.usage,
      o.account ? `the sandbox has no account ${o.account}` : "the sandbox has no customer account",
      "`stackfleet sandbox accounts` lists them",
    );
  const stackName = o.stackName ?? parsed.stackName;
  if (!stackName) throw new CliError(ExitCode.usage, "the link has no stackName; pass --stack-name");

  const cloudformation = new CloudFormationClient({
    endpoint: sandbox.endpoint,
    region: parsed.region,
    credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
  });
  // The console's quick-create asks the customer to acknowledge IAM resources; so do we.
  const created = await cloudformation.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateURL: parsed.templateUrl,
      Parameters: parsed.parameters,
      Capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    }),
  );
  ctx.io.out(`Creating ${stackName} in ${account.accountId} (${parsed.region}): ${created.StackId}`);

  const deadline = Date.now() + 10 * 60_000;
  let stack: Stack | undefined;
  for (;;) {
    stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: created.StackId }))).Stacks?.[0];
    if (!stack || TERMINAL.test(stack.StackStatus ?? "") || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, Math.min(ctx.pollMs, 500)));
  }
  ctx.io.out(`Status: ${stack?.StackStatus}${stack?.StackStatusReason ? ` (${stack.StackStatusReason})` : ""}`);
  for (const output of stack?.Outputs ?? []) ctx.io.out(`  ${output.OutputKey} = ${output.OutputValue}`);
  if (stack?.StackStatus !== "CREATE_COMPLETE")
    throw new CliError(ExitCode.failure, `the stack did not install (${stack?.StackStatus ?? "gone"})`);
}

/** `KEY=VALUE` arguments → `{ KEY: VALUE }`. */
const collectParameter = (text: string, previous: Record<string, string> = {}) => {
  const match = /^([A-Za-z0-9]{1,255})=(.*)$/.exec(text);
  if (!match) throw new InvalidArgumentError(`expected NAME=VALUE, e.g. EnableAutoUpdate=false (got "${text}")`);
  return { ...previous, [match[1]!]: match[2]! };
};

/** `stackfleet sandbox …`: play the customer in the local sandbox. */
export function sandboxCommand(ctx: CliContext): Command {
  const root = new Command("sandbox").description("play the customer in the local sandbox (`npm start`)");

  root
    .command("install")
    .description("install a quick-create link's stack into a sandbox account, as the customer would")
    .requiredOption("--url <quick-create URL>", "the link `integrations create` printed")
    .option("--account <id>", "the sandbox account (default: the first customer account)")
    .option("--stack-name <name>", "when the link has none")
    .action(async (o: InstallOptions, command: Command) =>
      install(ctx, o, requireSandbox(invocation(ctx, command).options)),
    );

  root
    .command("accounts")
    .description("the sandbox's endpoint, accounts and their access keys")
    .action(async (_o, command: Command) => {
      const run = invocation(ctx, command);
      const sandbox = requireSandbox(run.options);
      show(run.io, run.json, sandbox, (s) =>
        [
          `Sandbox endpoint: ${s.endpoint}`,
          table(
            ["ACCOUNT", "ROLE", "ACCESS KEY", "SECRET KEY"],
            s.accounts.map((a) => [a.accountId, a.role, a.accessKeyId, a.secretAccessKey]),
          ),
        ].join("\n"),
      );
    });

  root
    .command("set-parameter")
    .description("change an integration's stack parameters as the customer's console does (a real stack update)")
    .requiredOption("--integration <id>", "the integration whose stack to change (operators add --tenant)")
    .argument("<name=value...>", "e.g. EnableAutoUpdate=false", collectParameter)
    .action(async (parameters: Record<string, string>, o: { integration: string }, command: Command) => {
      const run = invocation(ctx, command);
      const sandbox = requireSandbox(run.options);
      const i = await run
        .api()
        .request<Integration>("GET", integrationPath(o.integration), { query: run.tenantQuery() });
      const result = await sandboxControl<unknown>(sandbox, "POST", "/_sandbox/stacks/parameters", {
        accountId: i.accountId,
        region: i.region,
        stackName: i.stackName,
        parameters,
      });
      show(
        run.io,
        run.json,
        result,
        () =>
          `${i.stackName} in ${i.accountId} (${i.region}): ${Object.entries(parameters)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")}`,
      );
    });
  return root;
}
