import { Command } from "commander";
import { type CliContext, invocation } from "../context";
import { show } from "../output";
import { parseDuration } from "../parsers";
import { sandboxControl } from "../sandbox-control";
import { requireSandbox } from "../target";

interface ClockReply {
  now: string;
  deliveries?: unknown[];
}

/**
 * `stackfleet clock …`: the local runtime's clock, kept by the sandbox and shared by the API, the
 * executor and the Scheduler. Advancing it fires the schedules that fall due, in order; a real
 * clock (the default) jumps ahead and keeps running, a manual one (`--clock manual`) stays put.
 */
export function clockCommand(ctx: CliContext): Command {
  const root = new Command("clock").description(
    "show or advance the local runtime's clock (API, executor, sandbox and Scheduler share it)",
  );
  root
    .command("show")
    .description("the local runtime's current time")
    .action(async (_o, command: Command) => {
      const run = invocation(ctx, command);
      const reply = await sandboxControl<ClockReply>(requireSandbox(run.options), "GET", "/_sandbox/clock");
      show(run.io, run.json, reply, (r) => `now: ${r.now}`);
    });
  root
    .command("advance")
    .description("move the clock forward, e.g. past a grace period; due schedules fire on the way, in order")
    .argument("<duration>", "how far, e.g. 25h, 90m, 1h30m", parseDuration)
    .action(async (ms: number, _o, command: Command) => {
      const run = invocation(ctx, command);
      // `ms` is what every sandbox version accepts; the CLI has already validated the duration.
      const reply = await sandboxControl<ClockReply>(requireSandbox(run.options), "POST", "/_sandbox/clock/advance", {
        ms,
      });
      show(
        run.io,
        run.json,
        reply,
        (r) => `now: ${r.now}${r.deliveries ? ` (${r.deliveries.length} schedule(s) fired)` : ""}`,
      );
    });
  return root;
}
