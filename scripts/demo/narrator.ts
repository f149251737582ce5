import type { CommandIo } from "@stackfleet/cli/command";
import { main } from "@stackfleet/cli/main";

/** A `stackfleet` command the demo ran, refused: its exit code and what it printed. */
export class DemoCommandError extends Error {
  constructor(
    readonly args: string[],
    readonly exitCode: number,
    readonly output: string,
  ) {
    super(`stackfleet ${args.join(" ")} exited ${exitCode}:\n${output}`);
  }
}

/**
 * Says what the demo does and runs it through the real CLI (`main`, in process): every step is a
 * command a user could type, shown as typed, followed by what it printed. `plumbing` (which state
 * file, which data dir) is appended to every command but only shown when it is not the default.
 */
export class Narrator {
  private step = 0;

  constructor(
    private readonly io: CommandIo,
    private readonly plumbing: string[],
    private readonly total: number,
  ) {}

  /** A numbered chapter: what happens, and why it matters. */
  chapter(title: string, why: string): void {
    this.step++;
    this.io.out(`\n━━ ${this.step}/${this.total}  ${title}`);
    this.io.out(indent(why, "   "));
  }

  say(text: string): void {
    this.io.out(indent(text, "   "));
  }

  /** Runs and shows a command and its output. */
  async run(args: string[]): Promise<string> {
    this.io.out(`   $ npx stackfleet ${args.map(quote).join(" ")}`);
    const output = await this.exec(args);
    if (output) this.io.out(indent(output, "     "));
    return output;
  }

  /** Runs a read with `--json` for the demo's own bookkeeping; shown only when `show` says so. */
  async json<T>(args: string[], options: { show?: boolean } = {}): Promise<T> {
    if (options.show) this.io.out(`   $ npx stackfleet ${[...args, "--json"].map(quote).join(" ")}`);
    return JSON.parse(await this.exec([...args, "--json"])) as T;
  }

  private async exec(args: string[]): Promise<string> {
    const lines: string[] = [];
    const capture: CommandIo = { out: (t) => void lines.push(t), err: (t) => void lines.push(t) };
    const code = await main([...args, ...this.plumbing], capture, { pollMs: 200, interactive: false });
    const output = lines.join("\n").replace(/\n+$/, "");
    if (code !== 0) throw new DemoCommandError(args, code, output);
    return output;
  }
}

export const indent = (text: string, prefix: string) =>
  text
    .split("\n")
    .map((line) => (line ? `${prefix}${line}` : line))
    .join("\n");

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
