import { Command, Option } from "commander";
import { type CliContext, invocation } from "../context";
import { show } from "../output";
import { positiveInt } from "../parsers";
import { type GlobalControl, type Page, type Plan, type Version, versionPath } from "../views";
import { eventsText } from "./integrations";

const reasonOption = () => new Option("--reason <text>", "why; recorded on the audit event and shown to operators");

const controlText = (c: GlobalControl) =>
  c.halted
    ? `every rollout is HALTED${c.reason ? `: ${c.reason}` : ""} (${c.changedBy ?? "?"}, ${c.updatedAt ?? "?"})`
    : `rollouts run${c.updatedAt ? ` (last change ${c.updatedAt} by ${c.changedBy})` : ""}`;

/** One version, or with no version every rollout (the global kill switch). */
function switchCommand(ctx: CliContext, action: "halt" | "resume", description: string): Command {
  return new Command(action)
    .description(description)
    .argument("[version]", "the version; leave out to act on every rollout")
    .addOption(reasonOption())
    .action(async (version: string | undefined, o: { reason?: string }, command: Command) => {
      const run = invocation(ctx, command);
      const body = o.reason ? { reason: o.reason } : undefined;
      if (!version) {
        const control = await run.api().request<GlobalControl>("POST", `/v1/controls/${action}`, { body });
        show(run.io, run.json, control, controlText);
        return;
      }
      const result = await run
        .api()
        .request<Version & { plan?: Plan | null }>("POST", `${versionPath(version)}/${action}`, { body });
      show(run.io, run.json, result, (v) =>
        [
          `${v.version}: ${v.state}${v.stateReason ? ` (${v.stateReason})` : ""}`,
          ...(v.plan
            ? [`resumed: ${v.plan.planned} planned${v.plan.continuing ? ", more in the background" : ""}`]
            : []),
        ].join("\n"),
      );
    });
}

/** `halt`, `resume`, and the operators' read-only views `controls` and `events`. */
export function controlCommands(ctx: CliContext): Command[] {
  const controls = new Command("controls")
    .description("whether every rollout is halted, by whom and why (operators)")
    .action(async (_o, command: Command) => {
      const run = invocation(ctx, command);
      show(run.io, run.json, await run.api().request<GlobalControl>("GET", "/v1/controls"), controlText);
    });
  const events = new Command("events")
    .description("the tenant's feed: audit events and notifications across its integrations (operators add --tenant)")
    .option("--limit <n>", "at most this many", positiveInt)
    .action(async (o: { limit?: number }, command: Command) => {
      const run = invocation(ctx, command);
      const page = await run
        .api()
        .request<Page<Parameters<typeof eventsText>[0]["items"][number]>>("GET", "/v1/events", {
          query: { ...run.tenantQuery(), limit: o.limit },
        });
      show(run.io, run.json, page, eventsText);
    });
  return [
    switchCommand(ctx, "halt", "halt one version's rollout, or with no version every rollout (operators)"),
    switchCommand(ctx, "resume", "resume a halted version, or with no version lift the global halt (operators)"),
    controls,
    events,
  ];
}
