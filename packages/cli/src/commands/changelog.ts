import { readFile } from "node:fs/promises";
import { computeChangelog, renderText } from "@stackfleet/core/changelog";
import { isStackfleetError } from "@stackfleet/core/error";
import { parseTemplate, type Template } from "@stackfleet/core/template/parse";
import type { Command, CommandIo } from "../command";

const usage = "changelog OLD NEW [--json]";

/** Diffs two template files: what a customer on OLD would see when offered NEW. */
export const changelog: Command = {
  name: "changelog",
  summary: "What changes (permissions first) between two template files",
  usage,
  async run(args: string[], io: CommandIo): Promise<number> {
    if (args.includes("--help") || args.includes("-h")) {
      io.out(
        `Usage: stackfleet ${usage}\n\nPrints what changes from OLD to NEW (permissions first); --json prints the changelog JSON.`,
      );
      return 0;
    }
    const json = args.includes("--json");
    const unknown = args.filter((a) => a.startsWith("-") && a !== "--json");
    const files = args.filter((a) => !a.startsWith("-"));
    if (unknown.length > 0 || files.length !== 2) {
      io.err(
        unknown.length
          ? `stackfleet changelog: unknown option ${unknown[0]}`
          : `stackfleet changelog: expected two template files`,
      );
      io.err(`Usage: stackfleet ${usage}`);
      return 2;
    }
    const templates: Template[] = [];
    for (const file of files) {
      const loaded = await load(file, io);
      if (!loaded) return 1;
      templates.push(loaded);
    }
    const result = computeChangelog(templates[0]!, templates[1]!, { from: files[0], to: files[1] });
    io.out(json ? JSON.stringify(result, null, 2) : renderText(result));
    return 0;
  },
};

async function load(file: string, io: CommandIo): Promise<Template | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    io.err(
      `stackfleet changelog: ${file}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message}`,
    );
    return undefined;
  }
  try {
    return parseTemplate(bytes);
  } catch (e) {
    if (!isStackfleetError(e)) throw e;
    io.err(`stackfleet changelog: ${file}: ${e.message}`);
    return undefined;
  }
}
