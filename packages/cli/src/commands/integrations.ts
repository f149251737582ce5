import { Command, InvalidArgumentError } from "commander";
import { type CliContext, invocation } from "../context";
import { fields, show, table } from "../output";
import { positiveInt } from "../parsers";
import { type Integration, type IntegrationDetail, integrationPath, type Page, type Run } from "../views";
import { windowCommand } from "./window";

const onOff = (value: string) => {
  if (value !== "on" && value !== "off") throw new InvalidArgumentError('expected "on" or "off"');
  return value === "on";
};

const summary = (i: Integration) =>
  fields([
    ["id", i.id],
    ["tenant", i.tenantId],
    ["account", `${i.accountId} (${i.region})`],
    ["stack", i.stackName],
    ["status", i.statusReason ? `${i.status} (${i.statusReason})` : i.status],
    ["auto-update", `${i.autoUpdate ? "on" : "off"}${i.autoUpdateReason ? ` (${i.autoUpdateReason})` : ""}`],
    ["version", i.currentVersion],
    ["skipped", i.skippedVersions.join(", ")],
    ["externalId", i.externalId],
  ]);

const runLine = (r: Run) =>
  `${r.version} attempt ${r.attempt}: ${r.state}${r.reason ? ` (${r.reason})` : ""}, for ${r.scheduledFor}`;

function detail(i: IntegrationDetail): string {
  const lines = [summary(i)];
  if (i.install) lines.push(`install ${i.install.version}: ${i.install.quickCreateUrl}`);
  const p = i.pendingUpdate;
  lines.push(
    p
      ? `pending update: ${p.version} at ${p.scheduledFor} (${p.changelogSummary ?? "no summary"})`
      : "no pending update",
  );
  if (i.history.length) lines.push("history:", ...i.history.map((r) => `  ${runLine(r)}`));
  return lines.join("\n");
}

/** `stackfleet integrations …`: a tenant's connected AWS accounts and the customer's say over updates. */
export function integrationsCommand(ctx: CliContext): Command {
  const root = new Command("integrations")
    .alias("int")
    .description("connect AWS accounts and control their updates (tenant-admins; operators add --tenant)");

  root
    .command("create")
    .description("connect an AWS account: prints the ExternalId and the quick-create link to install")
    .requiredOption("--account <id>", "the customer's 12-digit AWS account id")
    .requiredOption("--region <region>", "where the customer installs the stack, e.g. eu-west-1")
    .action(async (o: { account: string; region: string }, command: Command) => {
      const run = invocation(ctx, command);
      const created = await run.api().request<IntegrationDetail>("POST", "/v1/integrations", {
        query: run.tenantQuery(),
        body: { accountId: o.account, region: o.region },
      });
      show(run.io, run.json, created, (i) =>
        [summary(i), i.install ? `install: ${i.install.quickCreateUrl}` : "install: no version published yet"].join(
          "\n",
        ),
      );
    });

  root
    .command("list")
    .description("the tenant's integrations, newest first")
    .option("--limit <n>", "at most this many", positiveInt)
    .option("--cursor <cursor>", "the next page, from a previous --json answer")
    .action(async (o: { limit?: number; cursor?: string }, command: Command) => {
      const run = invocation(ctx, command);
      const page = await run.api().request<Page<Integration>>("GET", "/v1/integrations", {
        query: { ...run.tenantQuery(), limit: o.limit, cursor: o.cursor },
      });
      show(run.io, run.json, page, (p) =>
        [
          table(
            ["ID", "ACCOUNT", "REGION", "STATUS", "AUTO", "VERSION"],
            p.items.map((i) => [i.id, i.accountId, i.region, i.status, i.autoUpdate ? "on" : "off", i.currentVersion]),
          ),
          ...(p.cursor ? [`(more: --cursor ${p.cursor})`] : []),
        ].join("\n"),
      );
    });

  const read = (name: string, description: string, method: string, suffix = "") =>
    root
      .command(`${name}`)
      .description(description)
      .argument("<id>", "integration id (int_…)")
      .action(async (id: string, _o, command: Command) => {
        const run = invocation(ctx, command);
        const body = await run
          .api()
          .request<IntegrationDetail>(method, `${integrationPath(id)}${suffix}`, { query: run.tenantQuery() });
        show(run.io, run.json, body, name === "show" ? detail : (b) => verifyText(b as unknown as AccessCheck));
      });
  read("show", "one integration: install link, pending update, update history", "GET");
  read("verify", "check access now: AssumeRole works with the ExternalId and fails without it", "POST", "/verify");

  root
    .command("events")
    .description("the integration's audit trail and notifications, newest first")
    .argument("<id>", "integration id")
    .option("--limit <n>", "at most this many", positiveInt)
    .action(async (id: string, o: { limit?: number }, command: Command) => {
      const run = invocation(ctx, command);
      const page = await run.api().request<Page<EventItem>>("GET", `${integrationPath(id)}/events`, {
        query: { ...run.tenantQuery(), limit: o.limit },
      });
      show(run.io, run.json, page, eventsText);
    });

  root
    .command("auto-update")
    .description("turn auto-update on (plans the latest version after a fresh grace period) or off")
    .argument("<id>", "integration id")
    .argument("<on|off>", "on or off", onOff)
    .option("--reason <text>", "recorded on the audit event")
    .action(async (id: string, on: boolean, o: { reason?: string }, command: Command) => {
      const run = invocation(ctx, command);
      const body = await run.api().request<Integration>("PATCH", integrationPath(id), {
        query: run.tenantQuery(),
        body: { autoUpdate: on, ...(o.reason ? { reason: o.reason } : {}) },
      });
      show(run.io, run.json, body, (i) => `${i.id}: auto-update ${i.autoUpdate ? "on" : "off"}`);
    });

  root
    .command("skip")
    .description("skip a version: its waiting update is cancelled and it is never planned")
    .argument("<id>", "integration id")
    .argument("<version>", "the version to skip, e.g. 1.2.0")
    .action(async (id: string, version: string, _o, command: Command) => {
      const run = invocation(ctx, command);
      const body = await run
        .api()
        .request<{ integration: Integration; cancelled: number }>("POST", `${integrationPath(id)}/skips`, {
          query: run.tenantQuery(),
          body: { version },
        });
      show(run.io, run.json, body, (b) => `${id}: skips ${version} (${b.cancelled} waiting update(s) cancelled)`);
    });

  root
    .command("unskip")
    .description("take back a skip: the version is planned again if it still applies")
    .argument("<id>", "integration id")
    .argument("<version>", "the skipped version")
    .action(async (id: string, version: string, _o, command: Command) => {
      const run = invocation(ctx, command);
      const body = await run
        .api()
        .request<{ planned: Run | null }>("DELETE", `${integrationPath(id)}/skips/${encodeURIComponent(version)}`, {
          query: run.tenantQuery(),
        });
      show(
        run.io,
        run.json,
        body,
        (b) => `${id}: ${version} no longer skipped; ${b.planned ? runLine(b.planned) : "nothing planned"}`,
      );
    });

  root
    .command("update-now")
    .description("update now, once the version's grace period is over (still verified and re-checked)")
    .argument("<id>", "integration id")
    .argument("<version>", "the version to install")
    .action(async (id: string, version: string, _o, command: Command) => {
      const run = invocation(ctx, command);
      const body = await run
        .api()
        .request<Run>("POST", `${integrationPath(id)}/updates`, { query: run.tenantQuery(), body: { version } });
      show(run.io, run.json, body, (r) => `${id}: ${runLine(r)}`);
    });

  root
    .command("remove")
    .description("remove an integration: no further updates (the customer deletes the stack on their side)")
    .argument("<id>", "integration id")
    .action(async (id: string, _o, command: Command) => {
      const run = invocation(ctx, command);
      const body = await run.api().request<Integration>("DELETE", integrationPath(id), { query: run.tenantQuery() });
      show(run.io, run.json, body, (i) => `${i.id}: ${i.status}`);
    });

  root.addCommand(windowCommand(ctx));
  return root;
}

interface AccessCheck {
  access: "ok" | "lost";
  status: string;
  reason?: string;
}
const verifyText = (b: AccessCheck) => `access ${b.access}; status ${b.status}${b.reason ? ` (${b.reason})` : ""}`;

interface EventItem {
  at: string;
  actor: string;
  action: string;
  version?: string;
  reason?: string;
}
export const eventsText = (p: Page<EventItem>) =>
  table(
    ["AT", "ACTION", "VERSION", "ACTOR", "REASON"],
    p.items.map((e) => [e.at, e.action, e.version, e.actor, e.reason]),
  );
