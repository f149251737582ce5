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
 * round after round, until every run of the integration is final or the rounds are used up.
 */
export async function settle(
  rf: ReliabilityFixture,
  integration: IntegrationRecord,
  settled: (runs: RunRecord[]) => boolean = (runs) => runs.every(isTerminal),
  rounds = 8,
  stepMs = 25 * 60_000,
): Promise<void> {
  rf.faults.clear();
  for (let round = 0; round < rounds; round++) {
    if (settled(await Run.byIntegration(rf.deps, integration.integrationId, 200))) return;
    await rf.advanceBy(stepMs);
    await rf.sweep();
  }
}

/**
 * The promises of "every run ends", checked against the table and the sandbox's CloudFormation:
 * every run final; at most one ExecuteChangeSet per run; a run `succeeded` iff its change set ran
 * and the stack completed it; the integration's recorded version is the stack's; every final
 * run told to the customer exactly once.
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
      // A run's transitions record { from, to }: the one into its final state is what the customer hears.
      const told = events.filter(
        (e) =>
          e.runId === run.runId && e.notify && TERMINAL.includes((e.data as { to?: string } | undefined)?.to ?? ""),
      );
      if (told.length !== 1)
        found.push({ rule: "notification", runId: run.runId, detail: `${told.map((e) => e.action)} for ${run.state}` });
    }
  }
  const recorded = (await rf.integrationOf(integration.integrationId)).currentVersion;
  if (live !== recorded) {
    const history = runs.map((r) => `${r.version}#${r.attempt} ${r.state}/${r.outcome ?? "-"} ${r.reason ?? ""}`);
    found.push({ rule: "version_mismatch", detail: `table ${recorded}, stack ${live}; runs: ${history.join("; ")}` });
  }
  return found;
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
