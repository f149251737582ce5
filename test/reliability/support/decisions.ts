import type { RunRecord } from "@stackfleet/core/run/run";
import type { Call } from "../../support/faults";
import type { Marker } from "./model";

const applied = (c: Call) => !c.error && (c.fault === undefined || c.fault === "lost-response");
const runOfToken = (token: string) => token.replace(/^stackfleet-run-/, "run_");

/** The markers that stop `run`, and the ones that lift each of them. */
function stops(marker: Marker, run: RunRecord): "stop" | "lift" | undefined {
  const here = (m: Marker) => m.integrationId === undefined || m.integrationId === run.integrationId;
  const version = (m: Marker) => m.version === undefined || m.version === run.version;
  switch (marker.kind) {
    case "halt":
    case "skip":
      return here(marker) && version(marker) ? "stop" : undefined;
    case "halt-all":
      return "stop";
    case "opt-out":
      return here(marker) ? "stop" : undefined;
    case "resume":
      return version(marker) ? "lift" : undefined;
    case "resume-all":
    case "opt-in":
      return here(marker) ? "lift" : undefined;
  }
}

const LIFTS: Record<string, Marker["kind"][]> = {
  halt: ["resume"],
  "halt-all": ["resume-all"],
  "opt-out": ["opt-in"],
  skip: [],
};

/**
 * Nothing reaches CloudFormation after a halt, skip or opt-out became visible: every
 * ExecuteChangeSet CloudFormation accepted needs its run's go-ahead (the claimed → executing
 * transaction, which re-checks all three) to have committed while none of them was in force.
 */
export function executedAfterDecision(calls: Call[], markers: Marker[], runs: Map<string, RunRecord>): string[] {
  const found: string[] = [];
  for (const [i, call] of calls.entries()) {
    if (call.command !== "ExecuteChangeSetCommand" || !applied(call)) continue;
    const runId = runOfToken(call.label);
    const run = runs.get(runId);
    const goAhead = calls
      .slice(0, i)
      .reverse()
      .find(
        (c) =>
          c.command === "TransactWriteItemsCommand" &&
          applied(c) &&
          c.label.includes(`@${runId}`) &&
          /executing/.test(c.label) &&
          /claimed/.test(c.label),
      );
    if (!run || !goAhead) {
      found.push(`${runId} executed without a recorded go-ahead`);
      continue;
    }
    // Markers are in the order they were committed (several may share a position in the log).
    for (const [s, stop] of markers.entries()) {
      if (stop.at >= goAhead.index || stops(stop, run) !== "stop") continue;
      const lifted = markers.some(
        (m, j) => j > s && m.at < goAhead.index && LIFTS[stop.kind]!.includes(m.kind) && stops(m, run) === "lift",
      );
      if (!lifted) found.push(`${runId} executed after ${stop.kind} (call ${stop.at}) became visible`);
    }
  }
  return found;
}
