import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { issueDevToken, loadOrCreateDevAuthKey } from "@stackfleet/local/dev/auth-key";
import { z } from "zod";
import { CliError, ExitCode, usageError } from "./errors";
import { localDataDir } from "./local";

/** The global options every command sees (`optsWithGlobals()`). */
export interface GlobalOptions {
  api?: string;
  token?: string;
  tenant?: string;
  json?: boolean;
  stateFile?: string;
  dataDir?: string;
}

/** The part of `.stackfleet/local.json` (written by `npm start`) the CLI reads; the rest is ignored. */
export const LocalRuntime = z.object({
  apiUrl: z.string().url().optional(),
  sandbox: z
    .object({
      endpoint: z.string().url(),
      accounts: z.array(
        z.object({ accountId: z.string(), accessKeyId: z.string(), secretAccessKey: z.string(), role: z.string() }),
      ),
    })
    .optional(),
});
export type LocalRuntime = z.infer<typeof LocalRuntime>;

export const statePathOf = (options: GlobalOptions) =>
  resolve(options.stateFile ?? process.env.STACKFLEET_STATE_FILE ?? ".stackfleet/local.json");

/** The running local instance, or undefined when `npm start` is not running here. */
export function readLocalRuntime(options: GlobalOptions): LocalRuntime | undefined {
  let text: string;
  try {
    text = readFileSync(statePathOf(options), "utf8");
  } catch {
    return undefined;
  }
  const parsed = LocalRuntime.safeParse(JSON.parse(text));
  if (!parsed.success) throw new CliError(ExitCode.failure, `${statePathOf(options)} is not a Stackfleet state file`);
  return parsed.data;
}

/** Like `readLocalRuntime`, for commands that only make sense against the local sandbox. */
export function requireSandbox(options: GlobalOptions): NonNullable<LocalRuntime["sandbox"]> {
  const sandbox = readLocalRuntime(options)?.sandbox;
  if (!sandbox)
    throw new CliError(
      ExitCode.unreachable,
      `no running sandbox: ${statePathOf(options)} not found or has no sandbox`,
      "start one with `npm start` (or point --state-file at its local.json)",
    );
  return sandbox;
}

/** `--api`, then STACKFLEET_API, then the running local instance. */
export function apiUrlOf(options: GlobalOptions): string {
  const url = options.api ?? process.env.STACKFLEET_API ?? readLocalRuntime(options)?.apiUrl;
  if (!url)
    throw usageError(
      "no API to talk to",
      "pass --api URL or set STACKFLEET_API (locally: start `npm start`, which writes .stackfleet/local.json)",
    );
  return url;
}

/**
 * `--token`, then STACKFLEET_TOKEN. Against the local instance the CLI signs its own dev token with
 * the key in the local data dir, as `stackfleet token` does: a tenant-admin of `--tenant` when one
 * is named, else an operator. Any other API only trusts its identity provider's tokens.
 */
export async function tokenFor(options: GlobalOptions, apiUrl: string): Promise<string> {
  const given = options.token ?? process.env.STACKFLEET_TOKEN;
  if (given) return given;
  const local = readLocalRuntime(options)?.apiUrl;
  if (!local || new URL(local).origin !== new URL(apiUrl).origin)
    throw usageError(
      `no token for ${apiUrl}`,
      "pass --token JWT or set STACKFLEET_TOKEN (an access token from the vendor's identity provider)",
    );
  const key = await loadOrCreateDevAuthKey(localDataDir(options.dataDir));
  return issueDevToken({
    key,
    subject: "cli",
    ttl: 300,
    ...(options.tenant ? { role: "tenant-admin", tenantId: options.tenant } : { role: "operator" }),
  });
}
