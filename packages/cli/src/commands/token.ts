import { Role } from "@stackfleet/core/auth";
import { issueDevToken, loadOrCreateDevAuthKey, parseTtl } from "@stackfleet/local/dev/auth-key";
import { Command, InvalidArgumentError, Option } from "commander";
import type { CliContext } from "../context";
import { usageError } from "../errors";
import { localDataDir } from "../local";

const ttlSeconds = (text: string) => {
  try {
    return parseTtl(text);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

/**
 * Prints a dev bearer token for the local API, signed with the key in the local data dir (the
 * same file `npm start` verifies with, created here if missing). Only the token goes to stdout,
 * so `TOKEN=$(npx stackfleet token …)` works. The API in AWS trusts only the vendor's identity provider.
 */
export function tokenCommand(ctx: CliContext): Command {
  return new Command("token")
    .description("print a local dev bearer token (tenant-admin or operator) for the `npm start` API")
    .addOption(new Option("--role <role>", "the token's role").choices(Role.options).makeOptionMandatory())
    .option("--subject <sub>", "the token's subject (default dev-<role>)")
    .option("--ttl <duration>", "lifetime, e.g. 15m, 1h, 7d", ttlSeconds, 3600)
    .action(async (_args, command: Command) => {
      const o = command.optsWithGlobals<{
        role: Role;
        tenant?: string;
        subject?: string;
        ttl: number;
        dataDir?: string;
      }>();
      // --tenant is the global option: here it names the tenant-admin's tenant.
      if (o.role === "tenant-admin" && !o.tenant) throw usageError("--tenant is required for a tenant-admin token");
      const dataDir = localDataDir(o.dataDir);
      const jwt = await issueDevToken({
        key: await loadOrCreateDevAuthKey(dataDir),
        role: o.role,
        ttl: o.ttl,
        ...(o.tenant === undefined ? {} : { tenantId: o.tenant }),
        ...(o.subject === undefined ? {} : { subject: o.subject }),
      });
      ctx.io.out(jwt);
      ctx.io.err(`(${o.role}${o.tenant ? ` of ${o.tenant}` : ""}, valid ${o.ttl}s, key ${dataDir})`);
    });
}
