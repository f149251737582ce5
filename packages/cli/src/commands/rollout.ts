import { setTimeout as sleep } from "node:timers/promises";
import { Command } from "commander";
import { type CliContext, invocation } from "../context";
import { fields, show } from "../output";
import { isSettled, liveView, snapshot, textView } from "../progress";
import type { Plan, RolloutProgress } from "../views";

const rolloutPath = (version: string) => `/v1/rollouts/${encodeURIComponent(version)}`;

/** `stackfleet rollout …`: operators watch and steer a version's rollout. */
export function rolloutCommand(ctx: CliContext): Command {
  const root = new Command("rollout").description(
    "a version's rollout: progress per wave, planning, policy (operators)",
  );

  root
    .command("status")
    .description("progress by wave and state, failures with reasons; --watch follows it live until it settles")
    .argument("<version>", "e.g. 1.2.0")
    .option("--watch", "poll until the rollout settles (halted, or every run finished); Ctrl-C to stop")
    .action(async (version: string, o: { watch?: boolean }, command: Command) => {
      const run = invocation(ctx, command);
      const fetchProgress = () => run.api().request<RolloutProgress>("GET", rolloutPath(version));
      if (!o.watch) {
        show(run.io, run.json, await fetchProgress(), snapshot);
        return;
      }
      // --json --watch: one JSON document per line on each change, for tools.
      const view = run.json
        ? { show: (p: RolloutProgress) => run.io.out(JSON.stringify(p)), stop() {} }
        : ctx.interactive
          ? liveView()
          : textView(run.io);
      try {
        for (;;) {
          const progress = await fetchProgress();
          view.show(progress);
          if (isSettled(progress)) break;
          await sleep(ctx.pollMs);
        }
      } finally {
        view.stop();
      }
    });

  root
    .command("plan")
    .description("plan (again) a published version's rollout: idempotent, creates only what is missing")
    .argument("<version>", "e.g. 1.2.0")
    .action(async (version: string, _o, command: Command) => {
      const run = invocation(ctx, command);
      const plan = await run.api().request<Plan>("POST", `${rolloutPath(version)}/plan`);
      show(run.io, run.json, plan, (p) =>
        fields([
          ["planned", p.planned],
          ["already planned", p.existing],
          ["skipped", p.skipped],
          ["rescheduled", p.rescheduled],
          ["continuing", p.continuing ? "yes, in the background" : "no"],
        ]),
      );
    });

  root
    .command("policy")
    .description("the rollout policy new rollouts get: canary, waves, concurrency, failure tolerance")
    .action(async (_o, command: Command) => {
      const run = invocation(ctx, command);
      const policy = await run.api().request<Record<string, unknown>>("GET", "/v1/rollouts/policy");
      show(run.io, run.json, policy, (p) => fields(Object.entries(p)));
    });
  return root;
}
