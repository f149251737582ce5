import { readFileSync } from "node:fs";
import { createDocumentClient } from "@stackfleet/core/db/client";
import {
  type EmergencyStop,
  liftEmergencyStop,
  readEmergencyStop,
  setEmergencyStop,
  type UpdaterStore,
} from "@stackfleet/core/updater/store";
import { Command } from "commander";
import { z } from "zod";
import { type CliContext, invocation } from "../context";
import { CliError, ExitCode } from "../errors";
import { show } from "../output";
import { type GlobalOptions, statePathOf } from "../target";

/** Where `npm start` keeps its tables (its state file); the updater's is `<table>-updater`. */
const LocalTables = z.object({ dynamodb: z.object({ endpoint: z.string().url(), tableName: z.string().min(1) }) });

/**
 * `stackfleet emergency-stop on|off|show`: the security team's switch, in the local runtime. It
 * writes the updater's own table in DynamoDB Local directly — never through the API, which cannot
 * touch it. In AWS only `SecurityTeamRole` can (README, "Emergency stop runbook").
 */
export function emergencyStopCommand(ctx: CliContext): Command {
  const root = new Command("emergency-stop").description(
    "the security team's stop in the local runtime: while on, the executor holds every run",
  );
  root
    .command("on")
    .description("stop every update: runs are held, nothing reaches CloudFormation")
    .requiredOption("--reason <text>", "why, for the record")
    .option("--by <who>", "who sets it", "security:local")
    .action(async (opts: { reason: string; by: string }, command: Command) => {
      const run = invocation(ctx, command);
      const store = localUpdater(run.options);
      await setEmergencyStop(store, { reason: opts.reason, setBy: opts.by });
      report(run, await readEmergencyStop(store));
    });
  root
    .command("off")
    .description("lift the stop: held runs go through at their next look")
    .action(async (_o, command: Command) => {
      const run = invocation(ctx, command);
      const store = localUpdater(run.options);
      await liftEmergencyStop(store);
      report(run, await readEmergencyStop(store));
    });
  root
    .command("show")
    .description("whether the stop is set, by whom and why")
    .action(async (_o, command: Command) => {
      const run = invocation(ctx, command);
      report(run, await readEmergencyStop(localUpdater(run.options)));
    });
  return root;
}

function report(run: ReturnType<typeof invocation>, stop: EmergencyStop | undefined) {
  show(run.io, run.json, { stopped: stop !== undefined, ...stop }, (s) =>
    s.stopped ? `emergency stop: ON (${s.reason}, set by ${s.setBy})` : "emergency stop: off",
  );
}

function localUpdater(options: GlobalOptions): UpdaterStore {
  const path = statePathOf(options);
  let parsed: z.infer<typeof LocalTables>;
  try {
    parsed = LocalTables.parse(JSON.parse(readFileSync(path, "utf8")));
  } catch {
    throw new CliError(
      ExitCode.unreachable,
      `no running local runtime: ${path} not found or unreadable`,
      "start one with `npm start`",
    );
  }
  const { endpoint, tableName } = parsed.dynamodb;
  const client = createDocumentClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  return { client, tableName: `${tableName}-updater`, now: () => new Date() };
}
