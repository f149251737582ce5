import { DescribeStackEventsCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Run, TERMINAL_STATES } from "@stackfleet/core/run";
import type { RunRecord } from "@stackfleet/core/run/run";
import type { ReliabilityFixture } from "./harness";

export interface Violation {
  rule: "stuck" | "double_execution" | "state_vs_cloudformation" | "version_mismatch" | "notification";
  runId?: string;
  detail: string;
}

const TERMINAL: readonly string[] = TERMINAL_STATES;

export const isTerminal = (run: RunRecord) => (TERMINAL_STATES as readonly string[]).includes(run.state);
const tokenOf = (runId: string) => `stackfleet-${runId.replace(/[^a-zA-Z0-9-]/g, "-")}`;

/**
 * Faults stop; then time passes (retries, watches and leases fall due) and the sweeper runs,
 * round after round, until every run of the integration is final or the rounds are used up. Each
 * round moves the clock straight to the earliest time a waiting run falls due (its sweep time,
 * lease or schedule; `maxStepMs` at most), so no round is spent waiting for nothing. A last sweep
 * a minute later delivers the notifications a killed process left behind.
 */
export async function settle(
  rf: ReliabilityFixture,
  integration: IntegrationRecord,
  settled: (runs: RunRecord[]) => boolean = (runs) => runs.every(isTerminal),
  rounds = 12,
  maxStepMs = 25 * 60_000,
): Promise<void> {
  rf.faults.clear();
  for (let round = 0; round < rounds; round++) {
    const runs = await Run.byIntegration(rf.deps, integration.integrationId, 200);
    if (settled(runs)) break;
    const now = rf.stack.sandbox.clock.now().getTime();
    const due = Math.min(...runs.filter((r) => !isTerminal(r)).map(dueAt));
    await rf.advanceBy(Math.min(maxStepMs, Math.max(0, due - now)) + 1_000);
    await rf.sweep();
  }
  await rf.advanceBy(61_000);
  await rf.sweep();
}

/** When a live run next needs someone: the sweeper's time for it, else its lease or schedule. */
function dueAt(run: RunRecord): number {
  const sweepAt = (run as { sweepAt?: string }).sweepAt;
  const at = sweepAt && sweepAt !== "none" ? sweepAt : (run.leaseUntil ?? run.scheduledFor);
  return Date.parse(at ?? "") || Number.POSITIVE_INFINITY;
}

/**
 * The promises of "every run ends", checked against the table and the sandbox's CloudFormation:
 * every run final; at most one ExecuteChangeSet per run; a run `succeeded` iff its change set ran
 * and the stack completed it; the integration's recorded version is the stack's; every final
 * run told to the customer exactly once, and that notification delivered.
 */
export async function violations(
  rf: ReliabilityFixture,
  integration: IntegrationRecord,
  /** Only this version's runs (a scenario's); default: all of the integration's. */
  version?: string,
): Promise<Violation[]> {
  const found: Violation[] = [];
  const runs = (await Run.byIntegration(rf.deps, integration.integrationId, 200)).filter(
    (r) => !version || r.version === version,
  );
  const updates = await ourUpdates(rf, integration);
  const executes = rf.faults.calls.filter((c) => c.command === "ExecuteChangeSetCommand" && !c.fault && !c.error);
  const events = (await Event.byIntegration(rf.deps, integration.integrationId, { limit: 1000 })).items;
  const stack = (
    await rf
      .cfnFor(integration.accountId, integration.region)
      .send(new DescribeStacksCommand({ StackName: integration.stackName }))
  ).Stacks?.[0];
  const live = stack?.Outputs?.find((o) => o.OutputKey === "TemplateVersion")?.OutputValue;
  const status = stack?.StackStatus;
  for (const run of runs) {
    const token = tokenOf(run.runId);
    if (!isTerminal(run)) found.push({ rule: "stuck", runId: run.runId, detail: `${run.state} after settling` });
    const started = updates.filter((t) => t === token).length;
    const called = executes.filter((c) => c.label === token).length;
    if (started > 1 || called > 1)
      found.push({ rule: "double_execution", runId: run.runId, detail: `${started} updates, ${called} calls` });
    const ranUpdate = started > 0;
    if (run.state === "succeeded" && run.outcome !== "noop" && !ranUpdate)
      found.push({
        rule: "state_vs_cloudformation",
        runId: run.runId,
        detail: `succeeded without an update (${run.reason}; ${updates.length} updates of ours on the stack: ${updates.join(", ")})`,
      });
    if (ranUpdate && run.state !== "succeeded" && run.state !== "failed")
      found.push({ rule: "state_vs_cloudformation", runId: run.runId, detail: `update ran, run ${run.state}` });
    // The newest update is the stack's present: it completed iff its run succeeded.
    if (ranUpdate && updates[0] === token && (run.state === "succeeded") !== (status === "UPDATE_COMPLETE"))
      found.push({
        rule: "state_vs_cloudformation",
        runId: run.runId,
        detail: `run ${run.state} (${run.reason}), stack ${status}`,
      });
    if (isTerminal(run)) {
      const told = outcomeNotifications(run, events);
      const final = told.filter((e) => TERMINAL.includes(transitionTarget(e) ?? ""));
      if (told.length !== 1 || final.length !== 1)
        found.push({ rule: "notification", runId: run.runId, detail: `${told.map((e) => e.action)} for ${run.state}` });
      // Told means published, not only written: once settled, the outcome is stamped delivered
      // (by the invocation that wrote it, or by the sweeper after a crash or a failed publish).
      else if (!final[0]!.deliveredAt)
        found.push({ rule: "notification", runId: run.runId, detail: `${final[0]!.action} never delivered` });
    }
  }
  const recorded = (await rf.integrationOf(integration.integrationId)).currentVersion;
  if (live !== recorded) {
    const history = runs.map((r) => `${r.version}#${r.attempt} ${r.state}/${r.outcome ?? "-"} ${r.reason ?? ""}`);
    found.push({ rule: "version_mismatch", detail: `table ${recorded}, stack ${live}; runs: ${history.join("; ")}` });
  }
  return found;
}

type AuditEvent = Awaited<ReturnType<typeof Event.byIntegration>>["items"][number];

const transitionTarget = (e: AuditEvent) => (e.data as { to?: string } | undefined)?.to;

/**
 * Every customer-visible event about how a run went: its notified transitions (a run's transitions
 * record { from, to }; announcing its creation is not about its outcome), and whatever the
 * executor announced about the integration, naming no run, while this run was in its hands.
 */
function outcomeNotifications(run: RunRecord, events: AuditEvent[]): AuditEvent[] {
  const from = run.claimedAt ?? run.finishedAt ?? run.updatedAt;
  const to = run.finishedAt ?? run.updatedAt;
  return events.filter(
    (e) =>
      e.notify &&
      (e.runId === run.runId
        ? transitionTarget(e) !== undefined
        : !e.runId && e.actor === "system:executor" && e.at >= from && e.at <= to),
  );
}

/** Tokens of the stack updates we started, newest first — every page (a long-lived stack has many). */
async function ourUpdates(rf: ReliabilityFixture, integration: IntegrationRecord): Promise<string[]> {
  const cfn = rf.cfnFor(integration.accountId, integration.region);
  const tokens: string[] = [];
  let next: string | undefined;
  do {
    const page = await cfn.send(new DescribeStackEventsCommand({ StackName: integration.stackName, NextToken: next }));
    for (const e of page.StackEvents ?? [])
      if (
        e.ResourceType === "AWS::CloudFormation::Stack" &&
        e.ResourceStatus === "UPDATE_IN_PROGRESS" &&
        e.ClientRequestToken?.startsWith("stackfleet-")
      )
        tokens.push(e.ClientRequestToken);
    next = page.NextToken;
  } while (next);
  return tokens;
}
