import { createRequire } from "node:module";
import { Command, Option } from "commander";
import { changelogCommand } from "./commands/changelog";
import { clockCommand } from "./commands/clock";
import { controlCommands } from "./commands/controls";
import { doctorCommand } from "./commands/doctor";
import { emergencyStopCommand } from "./commands/emergency-stop";
import { integrationsCommand } from "./commands/integrations";
import { rolloutCommand } from "./commands/rollout";
import { sandboxCommand } from "./commands/sandbox";
import { tokenCommand } from "./commands/token";
import { publishAlias, versionsCommand } from "./commands/versions";
import type { CliContext } from "./context";

const { version } = createRequire(import.meta.url)("../package.json") as { version: string };

/** Accepted before the command and after it (`stackfleet --json versions list` = `stackfleet versions list --json`). */
const globalOptions = () =>
  [
    new Option("--api <url>", "Stackfleet API URL (default: STACKFLEET_API, else the running `npm start`)"),
    new Option("--token <jwt>", "bearer token (default: STACKFLEET_TOKEN; minted automatically for `npm start`)"),
    new Option("--tenant <id>", "tenant to act on (operators); locally, mints a tenant-admin token for it"),
    new Option("--json", "print the API's JSON instead of text"),
    new Option("--state-file <path>", "the local runtime's state file (default: .stackfleet/local.json)"),
    new Option(
      "--data-dir <dir>",
      "the local runtime's data dir, holding the dev token key (default: .stackfleet/data)",
    ),
  ].map((o) => o.helpGroup("Global options:"));

/**
 * The whole command tree, one factory per file in ./commands (`doctor` joins the list here);
 * `inherit` then configures every level alike. Options are positional so that `--version` means
 * the CLI's version before a command and `versions release --version 1.2.0` after it.
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command("stackfleet")
    .description("Stackfleet from the command line: integrations, versions, rollouts, halts, the local sandbox")
    .version(version, "-V, --version", "print the CLI version")
    .enablePositionalOptions()
    .addHelpText(
      "after",
      "\nExit codes: 0 ok, 1 the API refused or the operation failed, 2 usage error, 3 cannot reach the API.",
    );
  for (const option of globalOptions()) program.addOption(option);
  const commands = [
    tokenCommand(ctx),
    changelogCommand(ctx),
    integrationsCommand(ctx),
    versionsCommand(ctx),
    publishAlias(ctx),
    rolloutCommand(ctx),
    ...controlCommands(ctx),
    sandboxCommand(ctx),
    clockCommand(ctx),
    emergencyStopCommand(ctx),
    doctorCommand(ctx),
  ];
  for (const command of commands) program.addCommand(command);
  return inherit(program, ctx);
}

/**
 * Output to the context's io and errors thrown instead of `process.exit` (main maps them to exit
 * codes) at every level; the global options on every command that runs something.
 * `addCommand` copies none of this.
 */
function inherit(command: Command, ctx: CliContext): Command {
  command
    .exitOverride()
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({
      writeOut: (text) => ctx.io.out(text.replace(/\n$/, "")),
      writeErr: (text) => ctx.io.err(text.replace(/\n$/, "")),
    });
  if (command.parent && command.commands.length === 0) {
    const own = new Set(command.options.map((o) => o.long));
    for (const option of globalOptions()) if (!own.has(option.long)) command.addOption(option);
  }
  for (const sub of command.commands) inherit(sub, ctx);
  return command;
}
