import { type Command, type CommandIo, processIo } from "./command";
import { changelog } from "./commands/changelog";
import { publish } from "./commands/publish";
import { sandbox } from "./commands/sandbox";
import { token } from "./commands/token";

// Each command lives in ./commands/<name>.ts; add it here.
const commands: Command[] = [changelog, publish, token, sandbox];

function help(io: CommandIo): void {
  io.out("Usage: stackfleet <command> [options]\n");
  for (const c of commands) io.out(`  ${c.usage.padEnd(48)} ${c.summary}`);
}

export async function main(argv: string[], io: CommandIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "help" || name === "--help" || name === "-h") {
    help(io);
    return name ? 0 : 1;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    io.err(`stackfleet: unknown command "${name}"`);
    help(io);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    io.err(`stackfleet ${name}: ${(e as Error).message}`);
    return 1;
  }
}
