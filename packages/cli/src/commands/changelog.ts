import { readFile } from "node:fs/promises";
import { computeChangelog } from "@stackfleet/core/changelog";
import { isStackfleetError } from "@stackfleet/core/error";
import { parseTemplate, type Template } from "@stackfleet/core/template/parse";
import { Command } from "commander";
import { type ChangelogFormat, formatOption, renderChangelog } from "../changelog-format";
import type { CliContext } from "../context";
import { CliError, ExitCode } from "../errors";

/** Diffs two template files offline: what a customer on OLD would see when offered NEW. */
export function changelogCommand(ctx: CliContext): Command {
  return new Command("changelog")
    .description("what changes (permissions first) between two template files; no API needed")
    .argument("<old>", "the template the customer has (YAML or JSON)")
    .argument("<new>", "the template to offer")
    .addOption(formatOption())
    .action(async (oldFile: string, newFile: string, _o, command: Command) => {
      const o = command.optsWithGlobals<{ format: ChangelogFormat; json?: boolean }>();
      const result = computeChangelog(await load(oldFile), await load(newFile), { from: oldFile, to: newFile });
      ctx.io.out(renderChangelog(result, o.json ? "json" : o.format));
    });
}

async function load(file: string): Promise<Template> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    throw new CliError(ExitCode.failure, `${file}: ${missing ? "no such file" : (e as Error).message}`);
  }
  try {
    return parseTemplate(bytes);
  } catch (e) {
    if (!isStackfleetError(e)) throw e;
    throw new CliError(ExitCode.failure, `${file}: ${e.message}`);
  }
}
