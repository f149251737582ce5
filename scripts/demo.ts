// `npm run demo`: the whole Stackfleet story in about a minute, through the CLI (scripts/demo/).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { parseArgs } from "node:util";
import { processIo } from "@stackfleet/cli/command";
import { jsonLog, type Log } from "@stackfleet/core/log";
import { DemoCommandError } from "./demo/narrator";
import { runDemo } from "./demo/story";

const { values } = parseArgs({ options: { "state-file": { type: "string" } }, strict: true });

// A private instance (no `npm start` running) stays quiet except for its errors.
const errorsOnly: Log = {
  ...jsonLog("stackfleet-demo", (line) => process.stderr.write(`${line}\n`)),
  info() {},
  warn() {},
};

try {
  await runDemo({ io: processIo, stateFile: values["state-file"], log: errorsOnly });
  process.exit(0);
} catch (e) {
  if (e instanceof DemoCommandError) {
    processIo.err(`\nThe demo stopped: \`stackfleet ${e.args.join(" ")}\` exited ${e.exitCode}.\n${e.output}`);
  } else processIo.err(`\nThe demo stopped: ${(e as Error).stack ?? e}`);
  process.exit(1);
}
