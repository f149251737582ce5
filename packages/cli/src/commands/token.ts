import { parseArgs } from "node:util";
import { issueDevToken, loadOrCreateDevAuthKey, parseTtl, Role } from "@stackfleet/core/auth";
import { isStackfleetError } from "@stackfleet/core/error";
import type { Command } from "../command";
import { localDataDir } from "../local";

const USAGE = "token --role tenant-admin|operator [--tenant ID] [--subject S] [--ttl 1h] [--data-dir DIR]";

/**
 * Prints a dev bearer token for the local API, signed with the key in the local data dir (the
 * same file `npm start` verifies with, created here if missing). Only the token goes to stdout,
 * so `TOKEN=$(npx stackfleet token …)` works. These tokens are for the local runtime: the API in
 * AWS trusts only the vendor's identity provider.
 */
export const token: Command = {
  name: "token",
  summary: "Print a local dev bearer token (tenant-admin or operator)",
  usage: USAGE,
  async run(args, io) {
    let request: {
      role: "tenant-admin" | "operator";
      tenantId: string | undefined;
      subject: string | undefined;
      ttl: number;
      dataDir: string;
    };
    try {
      const { values } = parseArgs({
        args,
        options: {
          tenant: { type: "string" },
          role: { type: "string" },
          subject: { type: "string" },
          ttl: { type: "string", default: "1h" },
          "data-dir": { type: "string" },
        },
        strict: true,
        allowPositionals: false,
      });
      const role = Role.safeParse(values.role);
      if (!role.success) throw new Error(`--role must be tenant-admin or operator (got ${values.role ?? "nothing"})`);
      if (role.data === "tenant-admin" && !values.tenant)
        throw new Error("--tenant is required for a tenant-admin token");
      request = {
        role: role.data,
        tenantId: values.tenant,
        subject: values.subject,
        ttl: parseTtl(values.ttl),
        dataDir: localDataDir(values["data-dir"]),
      };
    } catch (e) {
      io.err(`stackfleet token: ${(e as Error).message}\nUsage: stackfleet ${USAGE}`);
      return 2;
    }
    const key = await loadOrCreateDevAuthKey(request.dataDir);
    try {
      const jwt = await issueDevToken({
        key,
        role: request.role,
        ttl: request.ttl,
        ...(request.tenantId === undefined ? {} : { tenantId: request.tenantId }),
        ...(request.subject === undefined ? {} : { subject: request.subject }),
      });
      io.out(jwt);
    } catch (e) {
      if (!isStackfleetError(e, "input")) throw e;
      io.err(`stackfleet token: ${e.message}`);
      return 2;
    }
    io.err(
      `(${request.role}${request.tenantId ? ` of ${request.tenantId}` : ""}, valid ${request.ttl}s, key ${request.dataDir})`,
    );
    return 0;
  },
};
