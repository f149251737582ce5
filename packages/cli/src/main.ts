import { isStackfleetError } from "@stackfleet/core/error";
import { CommanderError } from "commander";
import { type CommandIo, processIo } from "./command";
import type { CliContext } from "./context";
import { CliError, ExitCode } from "./errors";
import { buildProgram } from "./program";

/** Runs one command line and returns the exit code (see README: 0 ok, 1 failure, 2 usage, 3 unreachable). */
export async function main(
  argv: string[],
  io: CommandIo = processIo,
  options: Partial<Omit<CliContext, "io">> = {},
): Promise<number> {
  const ctx: CliContext = {
    io,
    pollMs: options.pollMs ?? 2000,
    interactive: options.interactive ?? (io === processIo && process.stdout.isTTY === true),
  };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: "user" });
    return ExitCode.ok;
  } catch (e) {
    return report(e, io);
  }
}

function report(e: unknown, io: CommandIo): number {
  // Commander has already printed its message (and the help, for --help and a missing subcommand).
  if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  if (e instanceof CliError) {
    io.err(`stackfleet: ${e.message}`);
    if (e.hint) io.err(`hint: ${e.hint}`);
    return e.exitCode;
  }
  // Core's input errors (a bad template, ttl or tenant id) are the user's to fix.
  if (isStackfleetError(e, "input")) {
    io.err(`stackfleet: ${e.message}`);
    return ExitCode.usage;
  }
  io.err(`stackfleet: ${(e as Error).message ?? String(e)}`);
  return ExitCode.failure;
}
