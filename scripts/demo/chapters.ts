import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { IntegrationDetail, Version } from "@stackfleet/cli/views";
import { type Customer, castOf, type Demo, untilConnected, untilOptedOut } from "./cast";
import { eventLine } from "./customer";
import type { Narrator } from "./narrator";
import type { DemoTarget } from "./target";
import { addPermission, describeRole, nextTemplate } from "./templates";
import { passTime, runText, showIntegration, untilFinished } from "./time";

const customer = (d: Demo, choice: Customer["choice"]) => d.customers.find((c) => c.choice === choice)!;
const templateFile = (d: Demo, version: string) => join(d.workDir, `acme-${version}.yaml`);
const showVersion = (n: Narrator, version: string) => n.json<Version>(["versions", "show", version]);

export async function connectCustomers(n: Narrator, target: DemoTarget): Promise<Pick<Demo, "view" | "customers">> {
  n.chapter(
    "Two tenants connect three AWS accounts",
    "Each integration gets its own ExternalId and a quick-create link; the customer installs the stack in their\n" +
      "account, its registration function calls back, and the API proves AssumeRole works WITH the ExternalId\n" +
      "and fails WITHOUT it before calling the account connected.",
  );
  const { view, cast } = await castOf(target);
  const customers: Customer[] = [];
  for (const c of cast) {
    n.say(`${c.name} (tenant ${c.tenant}, account ${c.accountId}, ${c.region}):`);
    const created = await n.json<IntegrationDetail>(
      ["integrations", "create", "--tenant", c.tenant, "--account", c.accountId, "--region", c.region],
      { show: true },
    );
    if (!created.install) throw new Error("no version to install: npm start publishes 1.0.0 on its first start");
    const joined = { ...c, id: created.id, stackName: created.stackName };
    n.say(`→ ${created.id}, ExternalId ${created.externalId}, stack ${created.stackName}`);
    await n.run(["sandbox", "install", "--url", created.install.quickCreateUrl, "--account", c.accountId]);
    const detail = await untilConnected(n, joined);
    n.say(`→ ${detail.status} at version ${detail.currentVersion ?? "?"}\n`);
    if (detail.status !== "connected")
      throw new Error(`${c.name} did not connect: ${detail.statusReason ?? detail.status}`);
    customers.push(joined);
  }
  return { view, customers };
}

export async function publishWithNewPermission(d: Demo): Promise<Version> {
  const { n, base } = d;
  const v = d.versions.added;
  n.chapter(
    `The vendor publishes ${v}: one permission added`,
    `The vendor's new template gives the integration role one more read permission. Publishing signs a manifest\n` +
      `(template SHA-256, version, sequence, not-before = grace end), stores the exact bytes, computes the changelog\n` +
      `against ${base.version} and plans one run per eligible integration at its grace end.`,
  );
  await n.run(["versions", "template", base.version, "-o", templateFile(d, base.version)]);
  await releaseChanged(d, base.version, v, addPermission("s3:GetBucketPolicyStatus"));
  await n.run(["versions", "changelog", v]);
  return approveIfAsked(n, await showVersion(n, v));
}

/** A broadening version may wait for an operator's approval (the grace policy says so): give it. */
async function approveIfAsked(n: Narrator, version: Version): Promise<Version> {
  if (!version.approvalRequired || version.approvedBy) return version;
  n.say("It broadens permissions and this deployment wants an operator's approval first:");
  await n.run(["versions", "approve", version.version]);
  return showVersion(n, version.version);
}

export async function customersChoose(d: Demo): Promise<void> {
  const { n } = d;
  const v = d.versions.added;
  const skipper = customer(d, "skips");
  const optOut = customer(d, "opts out in its stack");
  n.chapter(
    `${skipper.name} skips ${v}; ${optOut.name} opts out in its own stack`,
    "During the grace period every customer sees the changelog and decides. Skipping cancels the waiting update\n" +
      "for this version only. Turning EnableAutoUpdate off in the stack (as in the CloudFormation console) removes\n" +
      "the update role itself; the stack's callback tells Stackfleet, which confirms it on the live stack.",
  );
  await n.run(["integrations", "skip", skipper.id, v, "--tenant", skipper.tenant]);
  await n.run([
    "sandbox",
    "set-parameter",
    "--integration",
    optOut.id,
    "--tenant",
    optOut.tenant,
    "EnableAutoUpdate=false",
  ]);
  const status = await d.view.settle(optOut.accountId, optOut.region, optOut.stackName);
  const detail = await untilOptedOut(n, optOut);
  n.say(
    `→ stack ${status}; auto-update ${detail.autoUpdate ? "still on" : "off"}${detail.autoUpdateReason ? ` (${detail.autoUpdateReason})` : ""}`,
  );
}

export async function gracePasses(d: Demo, added: Version): Promise<void> {
  const { n } = d;
  const updated = customer(d, "lets it update");
  n.chapter(
    `The grace period ends (${added.graceEndsAt}): ${updated.name} is updated`,
    "Time moves for the API, the executor, the sandbox and its Scheduler together. At grace end the schedule\n" +
      "fires; the executor claims the run, re-verifies the signature and digest with its pinned keys, re-checks\n" +
      "eligibility in the table and on the live stack, assumes the customer's update role with the ExternalId and\n" +
      "applies a change set built from the verified bytes. Runs go out in waves (a canary, then the rest after the\n" +
      "rollout policy's cooling-off), so the clock may move more than once.",
  );
  await passTime(n, new Date(added.graceEndsAt));
  const run = await untilFinished(n, updated, added.version);
  const elapsed = Math.round((Date.now() - d.startedAt) / 1000);
  n.say(`→ ${updated.name}: run ${runText(run)}, ${elapsed} s (real time) after the demo started`);
  const events = await d.view.lastUpdateEvents(updated.accountId, updated.region, updated.stackName);
  n.say(
    events.length > 0
      ? `The customer's CloudFormation console, stack events of the update:\n${events.map((e) => `  ${eventLine(e)}`).join("\n")}`
      : "The customer's stack has no update events.",
  );
  for (const other of d.customers.filter((c) => c !== updated)) {
    const detail = await showIntegration(n, other);
    const mine = detail.history.find((r) => r.version === added.version);
    n.say(`→ ${other.name}: still ${detail.currentVersion}; its ${added.version} run ${runText(mine)}`);
  }
}

export async function tamperedIsRefused(d: Demo): Promise<Version> {
  const { n } = d;
  const { added, tampered } = d.versions;
  const updated = customer(d, "lets it update");
  n.chapter(
    `${tampered} is tampered with in the template store and refused`,
    `The vendor publishes ${tampered} (a description change). Then someone with write access to the template store\n` +
      `swaps its bytes for a template granting Action "*". The signed manifest still carries the original SHA-256:\n` +
      "whoever reads the bytes next verifies them, refuses them and quarantines the version for every customer.",
  );
  await releaseChanged(d, added, tampered, describeRole("Acme Security uses this role for acme (reviewed)."));
  const published = await showVersion(n, tampered);
  const stored = join(d.target.dataDir, "templates", published.template.sha256);
  const bytes = await readFile(stored, "utf8");
  await writeFile(stored, bytes.replace("- s3:GetBucketPolicyStatus", '- "*"'));
  n.say(`(tampered: ${stored})`);
  await passTime(n, new Date(published.graceEndsAt));
  const run = await untilFinished(n, updated, tampered);
  n.say(`→ ${updated.name}: its ${tampered} run ${runText(run)}`);
  await n.run(["versions", "show", tampered]);
  return showVersion(n, tampered);
}

export async function haltStopsRollout(d: Demo): Promise<Version> {
  const { n } = d;
  const { added, halted } = d.versions;
  const updated = customer(d, "lets it update");
  n.chapter(
    `A halt stops the next rollout (${halted})`,
    "The vendor's security team halts a version before its grace ends. The halt is a flag the executor re-reads in\n" +
      "the same transaction that claims a run, so nothing is applied even if a schedule still fires.",
  );
  await releaseChanged(d, added, halted, describeRole("Acme Security uses this role for acme (v3)."));
  await n.run(["halt", halted, "--reason", "security review of the new role description"]);
  const version = await showVersion(n, halted);
  await passTime(n, new Date(version.graceEndsAt));
  await n.run(["rollout", "status", halted]);
  const detail = await showIntegration(n, updated);
  n.say(`→ ${updated.name} is still on ${detail.currentVersion}: the halted version was not applied`);
  return version;
}

/** The vendor's next template: `from`'s with one change, written next to it and released as `to`. */
async function releaseChanged(d: Demo, from: string, to: string, change: Parameters<typeof nextTemplate>[3]) {
  const previous = await readFile(templateFile(d, from), "utf8");
  await writeFile(templateFile(d, to), nextTemplate(previous, from, to, change));
  await d.n.run(["versions", "release", templateFile(d, to), "--version", to]);
}
