import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  type Parameter,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import type { Command, CommandIo } from "../command";

/** What `npm start` writes to `.stackfleet/local.json` about the running sandbox. */
interface LocalRuntime {
  apiUrl?: string;
  sandbox: {
    endpoint: string;
    accounts: Array<{ accountId: string; accessKeyId: string; secretAccessKey: string; role: string }>;
  };
}

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

async function readLocalRuntime(path: string): Promise<LocalRuntime> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new Error(`no running sandbox: ${path} not found (start one with \`npm start\`)`);
  }
  const runtime = JSON.parse(text) as LocalRuntime;
  if (!runtime.sandbox?.endpoint || !Array.isArray(runtime.sandbox.accounts)) {
    throw new Error(`${path} does not describe a sandbox`);
  }
  return runtime;
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(name);
  if (index === -1) return undefined;
  const value = args[index + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
  return value;
}

const TERMINAL = /(_COMPLETE|_FAILED)$/;

async function install(args: string[], io: CommandIo, runtime: LocalRuntime, pollMs: number): Promise<number> {
  const link = option(args, "--url");
  if (!link) throw new Error("--url '<quick-create URL>' is required");
  const parsed = parseQuickCreateUrl(link);
  const accountId = option(args, "--account");
  const account = accountId
    ? runtime.sandbox.accounts.find((a) => a.accountId === accountId)
    : runtime.sandbox.accounts.find((a) => a.role === "customer");
  if (!account)
    throw new Error(accountId ? `the sandbox has no account ${accountId}` : "the sandbox has no customer account");
  const stackName = option(args, "--stack-name") ?? parsed.stackName;
  if (!stackName) throw new Error("the link has no stackName; pass --stack-name");

  const cloudformation = new CloudFormationClient({
    endpoint: runtime.sandbox.endpoint,
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
  io.out(`Creating ${stackName} in ${account.accountId} (${parsed.region}): ${created.StackId}`);

  const deadline = Date.now() + 10 * 60_000;
  let stack: Stack | undefined;
  for (;;) {
    stack = (await cloudformation.send(new DescribeStacksCommand({ StackName: created.StackId }))).Stacks?.[0];
    if (!stack || TERMINAL.test(stack.StackStatus ?? "") || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  io.out(`Status: ${stack?.StackStatus}${stack?.StackStatusReason ? ` (${stack.StackStatusReason})` : ""}`);
  for (const output of stack?.Outputs ?? []) io.out(`  ${output.OutputKey} = ${output.OutputValue}`);
  return stack?.StackStatus === "CREATE_COMPLETE" ? 0 : 1;
}

function accounts(io: CommandIo, runtime: LocalRuntime): number {
  io.out(`Sandbox endpoint: ${runtime.sandbox.endpoint}`);
  for (const a of runtime.sandbox.accounts) {
    io.out(`  ${a.accountId}  ${a.role.padEnd(8)}  ${a.accessKeyId}  ${a.secretAccessKey}`);
  }
  return 0;
}

/** `stackfleet sandbox …`: install a customer stack into the local sandbox, list its accounts. */
export function sandboxCommand(options: { configPath?: string; pollMs?: number } = {}): Command {
  return {
    name: "sandbox",
    summary: "install a quick-create link into the local sandbox; list its accounts",
    usage: "sandbox install --url '<quick-create URL>' [--account <id>] | sandbox accounts",
    async run(args, io) {
      const [sub, ...rest] = args;
      const path = option(rest, "--config") ?? options.configPath ?? resolve(".stackfleet", "local.json");
      if (sub === "install") return install(rest, io, await readLocalRuntime(path), options.pollMs ?? 500);
      if (sub === "accounts") return accounts(io, await readLocalRuntime(path));
      io.err(`usage: stackfleet ${this.usage}`);
      return 2;
    },
  };
}

export const sandbox = sandboxCommand();
