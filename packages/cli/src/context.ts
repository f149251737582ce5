import type { Command } from "commander";
import { type ApiClient, createApiClient } from "./api-client";
import type { CommandIo } from "./command";
import { apiUrlOf, type GlobalOptions, tokenFor } from "./target";

/** What every command gets from `main`: where to write, and the test seams. */
export interface CliContext {
  io: CommandIo;
  /** How often `--watch` and installs poll (tests shorten it). */
  pollMs: number;
  /** Whether stdout is a terminal: live progress bars there, plain snapshots otherwise. */
  interactive: boolean;
}

/** One command invocation: its options merged with the global ones, and an API client on demand. */
export interface Invocation {
  options: GlobalOptions;
  io: CommandIo;
  json: boolean;
  api(): ApiClient;
  /** `?tenantId=` for tenant routes: operators name the tenant, tenant-admins may. */
  tenantQuery(): { tenantId?: string };
}

export function invocation(ctx: CliContext, command: Command): Invocation {
  const options = command.optsWithGlobals<GlobalOptions>();
  let client: ApiClient | undefined;
  return {
    options,
    io: ctx.io,
    json: options.json === true,
    api() {
      if (!client) {
        const url = apiUrlOf(options);
        let token: Promise<string> | undefined;
        client = createApiClient(url, () => {
          token ??= tokenFor(options, url);
          return token;
        });
      }
      return client;
    },
    tenantQuery: () => (options.tenant ? { tenantId: options.tenant } : {}),
  };
}
