import semver from "semver";
import type { Deps } from "../context";
import { STACK_OPT_OUT } from "../customer-stack/contract";
import { notFound } from "../error";
import type { IntegrationRecord } from "../integration/integration";
import { runTimeFor } from "../rollout/window";
import type { RunRecord } from "../run/run";
import { verdictWith } from "../version/customer-changelog";
import * as Version from "../version/version";
import { loadFacts, pairKey, type StatusFacts, type VersionSummary } from "./facts";
import type { VersionBytes } from "./known";

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
 * pending update, and nothing at or below the installed version is ever pending. Two requests
 * (the runs, then one batch of everything else), whatever the number of versions.
 */
export async function integrationTruth(deps: Deps, integration: IntegrationRecord): Promise<IntegrationTruth> {
  const runs = await runsOf(deps, integration.integrationId);
  return truthFrom(deps, integration, runs, await loadFacts(deps, [{ integration, runs }]));
}

/** The truths of a page of integrations: one runs query each (in parallel), one batch for the rest. */
export async function truthsOf(deps: Deps, integrations: IntegrationRecord[]): Promise<IntegrationTruth[]> {
  const subjects = await Promise.all(
    integrations.map(async (integration) => ({ integration, runs: await runsOf(deps, integration.integrationId) })),
  );
  const facts = await loadFacts(deps, subjects);
  return Promise.all(subjects.map(({ integration, runs }) => truthFrom(deps, integration, runs, facts)));
}

/** The rules alone, over what the caller read; only a version missing from `facts` costs a request. */
export async function truthFrom(
  deps: Deps,
  integration: IntegrationRecord,
  runs: RunRecord[],
  facts: StatusFacts,
): Promise<IntegrationTruth> {
  const current = integration.currentVersion;
  const relevant = runs.filter((r) => newer(r.version, current));
  const waiting = nextWaiting(
    facts,
    relevant.filter((r) => r.state === "scheduled"),
  );
  const pendingUpdate =
    waiting && mayShowPending(integration) ? await pendingOf(deps, integration, waiting, facts) : null;
  const status = statusOf(integration, relevant, waiting, pendingUpdate, facts);
  return { status, pendingUpdate };
}

/**
 * The update that will happen next: the earliest waiting run of a version still rolling out —
 * a halted one (a quarantined version never comes back) does not hide a newer version's run;
 * with every candidate halted, the earliest waits, paused.
 */
function nextWaiting(facts: StatusFacts, scheduled: RunRecord[]): RunRecord | undefined {
  if (scheduled.length <= 1) return scheduled[0];
  const byTime = [...scheduled].sort((a, b) => a.scheduledFor.localeCompare(b.scheduledFor));
  return byTime.find((r) => facts.versions.get(r.version)?.state === "published") ?? byTime[0];
}

function mayShowPending(i: IntegrationRecord) {
  return i.status === "connected" && i.autoUpdate;
}

function versionOf(facts: StatusFacts, version: string): VersionSummary {
  const found = facts.versions.get(version);
  if (!found) throw notFound("version_not_found", `Version ${version} does not exist`);
  return found;
}

/**
 * The installed version's semver and digest: in the facts when the integration records its
 * sequence (read in the batch, or known to this process); read by semver otherwise (an
 * integration connected before sequences were recorded).
 */
async function installedOf(
  deps: Deps,
  integration: IntegrationRecord,
  facts: StatusFacts,
): Promise<VersionBytes | undefined> {
  const installed = integration.currentVersion;
  if (!installed) return undefined;
  const found = facts.versions.get(installed) ?? facts.installed.get(installed);
  if (found || integration.currentSequence > 0) return found;
  return Version.findBySemver(deps, installed);
}

async function pendingOf(
  deps: Deps,
  integration: IntegrationRecord,
  run: RunRecord,
  facts: StatusFacts,
): Promise<PendingUpdate> {
  const version = versionOf(facts, run.version);
  const installed = await installedOf(deps, integration, facts);
  const pair = installed ? facts.pairs.get(pairKey(installed.version, version.version)) : undefined;
  // A cached pair describes the bytes it names only: a republished digest has no verdict yet.
  const valid = pair?.fromSha256 === installed?.templateSha256 && pair?.toSha256 === version.templateSha256;
  const verdict = verdictWith(installed, version, valid ? pair : undefined);
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

function statusOf(
  integration: IntegrationRecord,
  runs: RunRecord[],
  waiting: RunRecord | undefined,
  pending: PendingUpdate | null,
  facts: StatusFacts,
): UpdateStatus {
  if (integration.status === "pending" || integration.status === "removed")
    return { state: "not_connected", status: integration.status };
  if (integration.status === "access-lost") return { state: "access_lost", reason: integration.statusReason };
  const active = runs.find((r) => ACTIVE.has(r.state));
  if (active) return { state: "updating", version: active.version, runId: active.runId };
  if (!integration.autoUpdate) {
    const via = integration.autoUpdateReason === STACK_OPT_OUT ? "in_stack" : "via_api";
    return { state: "opted_out", via, reason: integration.autoUpdateReason };
  }
  if (waiting && pending) return waitingStatus(integration, runs, waiting, pending, facts);
  const last = [...runs].sort((a, b) => a.createdAt.localeCompare(b.createdAt)).at(-1);
  if (last?.state === "failed")
    return { state: "failed", version: last.version, reason: last.reason, nextAttemptAt: null };
  return idleStatus(integration, facts);
}

function waitingStatus(
  integration: IntegrationRecord,
  runs: RunRecord[],
  waiting: RunRecord,
  pending: PendingUpdate,
  facts: StatusFacts,
): UpdateStatus {
  const version = versionOf(facts, waiting.version);
  const control = facts.control;
  if (control.halted) return { state: "paused", version: version.version, halt: "global", reason: control.reason };
  if (version.state !== "published")
    return { state: "paused", version: version.version, halt: "version", reason: version.stateReason };
  const failed = runs.find((r) => r.version === waiting.version && r.state === "failed" && r.attempt < waiting.attempt);
  if (failed)
    return { state: "failed", version: version.version, reason: failed.reason, nextAttemptAt: waiting.scheduledFor };
  const now = facts.now;
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
function idleStatus(integration: IntegrationRecord, facts: StatusFacts): UpdateStatus {
  const current = integration.currentVersion;
  const { newest, control } = facts;
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
