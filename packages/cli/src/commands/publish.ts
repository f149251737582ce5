import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { issueDevToken, loadOrCreateDevAuthKey } from "@stackfleet/core/auth";
import type { Command } from "../command";
import { localDataDir } from "../local";

const USAGE = "publish FILE --version X.Y.Z [--min-from X] [--param NAME]… [--api URL --token JWT] [--json]";

/** Where to publish: flags first, else the running local instance (`.stackfleet/local.json`). */
async function target(values: { api?: string; token?: string; "data-dir"?: string; state?: string }) {
  if (values.api) {
    if (!values.token)
      throw new Error("--token is required with --api (an operator token from your identity provider)");
    return { api: values.api, token: values.token };
  }
  const statePath = resolve(values.state ?? ".stackfleet/local.json");
  let apiUrl: string;
  try {
    apiUrl = (JSON.parse(readFileSync(statePath, "utf8")) as { apiUrl: string }).apiUrl;
  } catch {
    throw new Error(
      `no running local instance (${statePath} not found): start one with \`npm start\`, or pass --api and --token`,
    );
  }
  // Locally the CLI signs its own operator token with the dev key, like `stackfleet token`.
  const key = await loadOrCreateDevAuthKey(localDataDir(values["data-dir"]));
  return {
    api: apiUrl,
    token: values.token ?? (await issueDevToken({ key, role: "operator", subject: "cli", ttl: 300 })),
  };
}

/**
 * Publishes a template version through the API: the server checks, signs, stores and records it,
 * so the CLI holds no signing key. Prints the grace end and the changelog headline.
 */
export const publish: Command = {
  name: "publish",
  summary: "Publish a template version (operators)",
  usage: USAGE,
  async run(args, io) {
    let parsed: ReturnType<typeof parsePublishArgs>;
    try {
      parsed = parsePublishArgs(args);
      if (parsed.positionals.length !== 1 || !parsed.values.version)
        throw new Error("a template FILE and --version are required");
    } catch (e) {
      io.err(`stackfleet publish: ${(e as Error).message}\nUsage: stackfleet ${USAGE}`);
      return 2;
    }
    const { values, positionals } = parsed;
    const file = positionals[0]!;
    let template: string;
    try {
      template = readFileSync(file, "utf8");
    } catch (e) {
      io.err(`stackfleet publish: ${file}: ${(e as Error).message}`);
      return 1;
    }
    const { api, token } = await target(values);
    const response = await fetch(new URL("/v1/versions", api), {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({
        version: values.version,
        template,
        minFromVersion: values["min-from"],
        parameters: values.param,
      }),
    });
    const body = (await response.json()) as {
      error?: { code: string; message: string };
      version?: string;
      graceEndsAt?: string;
      changelogSummary?: string;
      approvalRequired?: boolean;
    };
    if (!response.ok) {
      io.err(`stackfleet publish: ${response.status} ${body.error?.code}: ${body.error?.message}`);
      return 1;
    }
    if (values.json) io.out(JSON.stringify(body, null, 2));
    else {
      io.out(`Published ${body.version}: ${body.changelogSummary}`);
      io.out(
        `Grace period ends ${body.graceEndsAt}${body.approvalRequired ? "; needs operator approval (POST /v1/versions/:version/approve)" : ""}`,
      );
    }
    return 0;
  },
};

function parsePublishArgs(args: string[]) {
  return parseArgs({
    args,
    options: {
      version: { type: "string" },
      "min-from": { type: "string" },
      param: { type: "string", multiple: true },
      api: { type: "string" },
      token: { type: "string" },
      "data-dir": { type: "string" },
      state: { type: "string" },
      json: { type: "boolean", default: false },
    },
    allowPositionals: true,
    strict: true,
  });
}
