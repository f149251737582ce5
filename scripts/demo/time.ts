import type { IntegrationDetail, Run, Version } from "@stackfleet/cli/views";
import type { Narrator } from "./narrator";

/** Where a run has stopped for good (a retry would be a new run). */
export const FINISHED = new Set(["succeeded", "failed", "cancelled", "skipped", "ineligible"]);

/** `95m` → `1h35m`: what `stackfleet clock advance` accepts, rounded up to whole minutes. */
export function durationText(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours}h${minutes % 60 ? `${minutes % 60}m` : ""}` : `${minutes}m`;
}

/**
 * Moves the local clock to a minute past `at` (Scheduler fires within the minute): the API, the
 * executor, the sandbox and its Scheduler all see the new time; what fell due fires on the way.
 */
export async function passTime(n: Narrator, at: Date, options: { atLeastMs?: number } = {}): Promise<void> {
  const { now } = await n.json<{ now: string }>(["clock", "show"]);
  const ms = Math.max(at.getTime() + 60_000 - Date.parse(now), options.atLeastMs ?? 0);
  if (ms > 0) await n.run(["clock", "advance", durationText(ms)]);
}

export interface Subject {
  id: string;
  tenant: string;
}

export const showIntegration = (n: Narrator, c: Subject) =>
  n.json<IntegrationDetail>(["integrations", "show", c.id, "--tenant", c.tenant]);

/**
 * Lets time pass until `c`'s latest run of `version` has finished: to its scheduled time, again
 * if the executor deferred it (a wave, the updater's own minimum grace), waiting out a run in
 * flight on a real clock. Undefined when no run was ever planned.
 */
export async function untilFinished(n: Narrator, c: Subject, version: string): Promise<Run | undefined> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const detail = await showIntegration(n, c);
    // Newest first: a retry is a newer run than the attempt it follows.
    const run = detail.history.find((r) => r.version === version);
    if (run && FINISHED.has(run.state)) return run;
    // A halted (or quarantined) version's runs wait, paused: nothing more will happen to them.
    if (run?.state === "scheduled" && (await isHalted(n, version))) return run;
    // Overdue on a manual clock fires only when time moves: at least a minute, then.
    if (run?.state === "scheduled") await passTime(n, new Date(run.scheduledFor), { atLeastMs: 60_000 });
    else if (run) {
      // In flight: the executor watches the stack from one-shot schedules a minute or more apart.
      await new Promise((done) => setTimeout(done, 500));
      await passTime(n, new Date(0), { atLeastMs: 60_000 });
    } else if (detail.pendingUpdate?.version === version)
      await passTime(n, new Date(detail.pendingUpdate.scheduledFor));
    else return undefined;
  }
  const last = (await showIntegration(n, c)).history.find((r) => r.version === version);
  throw new Error(`${c.id}: the update to ${version} did not finish within 90 s (run ${runText(last)})`);
}

const isHalted = async (n: Narrator, version: string) =>
  (await n.json<Version>(["versions", "show", version])).state !== "published";

/** A run as the customer's dashboard would put it. */
export const runText = (run: Run | undefined) =>
  !run
    ? "never planned"
    : run.state === "scheduled"
      ? `waiting, paused (planned for ${run.scheduledFor})`
      : `${run.state}${run.reason ? ` (${run.reason})` : ""}`;
