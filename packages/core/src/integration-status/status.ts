import semver from "semver";
import type { Deps } from "../context";
import { STACK_OPT_OUT } from "../customer-stack/contract";
import type { IntegrationRecord } from "../integration/integration";
import { verdictFrom } from "../rollout/customer-grace";
import { runTimeFor } from "../rollout/window";
import type { RunRecord } from "../run/run";
import { type GlobalControl, globalControl } from "../version/halts";
import * as Version from "../version/version";

/** One state per integration, as the dashboard shows it. */
export type UpdateStatus =
  | { state: "up_to_date"; version?: string }
  /** A newer published version this integration has no run for yet (planning continues, or it connected later). */
  | { state: "update_available"; version: string }
  | { state: "update_scheduled"; version: string; scheduledFor: string; changelogSummary?: string }
  | { state: "paused"; version: string; halt: "global" | "version" | "approval"; reason?: string }
  | { state: "waiting_for_window"; version: string; scheduledFor: string }
  | { state: "opted_out"; via: "in_stack" | "via_api"; reason?: string }
  | { state: "skipped"; version: string }
  | { state: "access_lost"; reason?: string }
  | { state: "updating"; version: string; runId: string }
  | { state: "failed"; version: string; reason?: string; nextAttemptAt: string | null }
  | { state: "not_connected"; status: "pending" | "removed" };

export interface PendingUpdate {
  version: string;
  /** The installed version the changelog and grace are computed from (null: none recorded). */
  from: string | null;
  scheduledFor: string;
  changelogSummary?: string;
  permissionsBroadened: boolean;
  graceEndsAt: string;
  runId: string;
  attempt: number;
}

export interface IntegrationTruth {
  status: UpdateStatus;
  pendingUpdate: PendingUpdate | null;
}

const ACTIVE = new Set(["claimed", "executing", "watching"]);
const newer = (version: string, than: string | undefined) => !than || !semver.valid(than) || semver.gt(version, than);

/**
 * What the dashboard shows, derived from the integration, its runs, the halts and the versions
 * in one place so the pieces cannot disagree: an opted-out or disconnected integration has no
 * pending update, and nothing at or below the installed version is ever pending.
 */
export async function integrationTruth(deps: Deps, integration: IntegrationRecord): Promise<IntegrationTruth> {
  const [runs, control] = await Promise.all([runsOf(deps, integration.integrationId), globalControl(deps)]);
  const current = integration.currentVersion;
  const relevant = runs.filter((r) => newer(r.version, current));
  const waiting = await nextWaiting(
    deps,
    relevant.filter((r) => r.state === "scheduled"),
  );
  const pendingUpdate = waiting && mayShowPending(integration) ? await pendingOf(deps, integration, waiting) : null;
  const status = await statusOf(deps, integration, relevant, waiting, pendingUpdate, control);
  return { status, pendingUpdate };
}

/**
 * The update that will happen next: the earliest waiting run of a version still rolling out —
 * a halted one (a quarantined version never comes back) does not hide a newer version's run;
 * with every candidate halted, the earliest waits, paused.
 */
async function nextWaiting(deps: Deps, scheduled: RunRecord[]): Promise<RunRecord | undefined> {
  if (scheduled.length <= 1) return scheduled[0];
  const states = new Map<string, string>();
  for (const version of new Set(scheduled.map((r) => r.version)))
    states.set(version, (await Version.get(deps, version)).state);
  const byTime = [...scheduled].sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor));
  return byTime.find((r) => states.get(r.version) === "published") ?? byTime[0];
}

function mayShowPending(i: IntegrationRecord) {
  return i.status === "connected" && i.autoUpdate;
}

async function pendingOf(deps: Deps, integration: IntegrationRecord, run: RunRecord): Promise<PendingUpdate> {
  const version = await Version.get(deps, run.version);
  const verdict = await verdictFrom(deps, integration.currentVersion, version);
  return {
    version: run.version,
    from: verdict.from,
    scheduledFor: run.scheduledFor,
    changelogSummary: verdict.summary ?? version.changelogSummary,
    permissionsBroadened: verdict.permissionsBroadened,
    graceEndsAt: verdict.graceEndsAt,
    runId: run.runId,
    attempt: run.attempt,
  };
}

async function statusOf(
  deps: Deps,
  integration: IntegrationRecord,
  runs: RunRecord[],
  waiting: RunRecord | undefined,
  pending: PendingUpdate | null,
  control: GlobalControl,
): Promise<UpdateStatus> {
  if (integration.status === "pending" || integration.status === "removed")
    return { state: "not_connected", status: integration.status };
  if (integration.status === "access-lost") return { state: "access_lost", reason: integration.statusReason };
  const active = runs.find((r) => ACTIVE.has(r.state));
  if (active) return { state: "updating", version: active.version, runId: active.runId };
  if (!integration.autoUpdate) {
    const via = integration.autoUpdateReason === STACK_OPT_OUT ? "in_stack" : "via_api";
    return { state: "opted_out", via, reason: integration.autoUpdateReason };
  }
  if (waiting && pending) return waitingStatus(deps, integration, runs, waiting, pending, control);
  const last = [...runs].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
  if (last?.state === "failed")
    return { state: "failed", version: last.version, reason: last.reason, nextAttemptAt: null };
  return idleStatus(deps, integration, control);
}

async function waitingStatus(
  deps: Deps,
  integration: IntegrationRecord,
  runs: RunRecord[],
  waiting: RunRecord,
  pending: PendingUpdate,
  control: GlobalControl,
): Promise<UpdateStatus> {
  const version = await Version.get(deps, waiting.version);
  if (control.halted) return { state: "paused", version: version.version, halt: "global", reason: control.reason };
  if (version.state !== "published")
    return { state: "paused", version: version.version, halt: "version", reason: version.stateReason };
  const failed = runs.find((r) => r.version === waiting.version && r.state === "failed" && r.attempt < waiting.attempt);
  if (failed)
    return { state: "failed", version: version.version, reason: failed.reason, nextAttemptAt: waiting.scheduledFor };
  const now = deps.now();
  const window = integration.maintenanceWindow;
  if (now.getTime() >= Date.parse(pending.graceEndsAt) && window && runTimeFor(window, now).getTime() > now.getTime())
    return { state: "waiting_for_window", version: version.version, scheduledFor: waiting.scheduledFor };
  return {
    state: "update_scheduled",
    version: version.version,
    scheduledFor: waiting.scheduledFor,
    changelogSummary: pending.changelogSummary,
  };
}

/** No run waits: up to date, or the newest version is skipped, halted or awaiting approval. */
async function idleStatus(deps: Deps, integration: IntegrationRecord, control: GlobalControl): Promise<UpdateStatus> {
  const current = integration.currentVersion;
  const newest = await Version.latest(deps);
  if (!newest || !newer(newest.version, current) || newest.state === "withdrawn")
    return { state: "up_to_date", version: current };
  if (integration.skippedVersions?.includes(newest.version)) return { state: "skipped", version: newest.version };
  if (control.halted) return { state: "paused", version: newest.version, halt: "global", reason: control.reason };
  if (newest.state === "halted")
    return { state: "paused", version: newest.version, halt: "version", reason: newest.stateReason };
  if (newest.approvalRequired && !newest.approvedBy)
    return { state: "paused", version: newest.version, halt: "approval", reason: "awaits an operator's approval" };
  return { state: "update_available", version: newest.version };
}

async function runsOf(deps: Deps, integrationId: string): Promise<RunRecord[]> {
  const { data } = await deps.service.entities.run.query.activity({ integrationId }).go({ pages: "all" });
  return data;
}
