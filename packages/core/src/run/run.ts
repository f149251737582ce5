import type { EntityItem } from "electrodb";
import type { Actor, Deps } from "../context";
import type { Entities } from "../db/service";
import { commitTransaction } from "../db/transaction";
import { conflict, notFound } from "../error";
import { type EventInput, record } from "../event/event";
import { type IntegrationPatch, type IntegrationRecord, integrationWrite } from "../integration/integration";
import type { RunState } from "./run.entity";
import { canTransition } from "./transitions";

export type RunRecord = EntityItem<Entities["run"]>;

export interface NewRun {
  integrationId: string;
  tenantId: string;
  version: string;
  sequence: number;
  attempt: number;
  scheduledFor: Date;
  wave?: string;
  scheduleName?: string;
  runId?: string;
}

export async function get(deps: Deps, runId: string): Promise<RunRecord> {
  const { data } = await deps.service.entities.run.get({ runId }).go();
  if (!data) throw notFound("run_not_found", `Run ${runId} does not exist`);
  return data;
}

function newRunItem(deps: Deps, input: NewRun) {
  const now = deps.now().toISOString();
  return {
    runId: input.runId ?? deps.newId("run"),
    integrationId: input.integrationId,
    tenantId: input.tenantId,
    version: input.version,
    sequence: input.sequence,
    attempt: input.attempt,
    wave: input.wave,
    scheduleName: input.scheduleName,
    state: "scheduled" as const,
    scheduledFor: input.scheduledFor.toISOString(),
    createdAt: now,
    updatedAt: now,
    rev: 0,
  };
}

/** Creates a run in `scheduled` with its audit event, atomically. */
export async function create(
  deps: Deps,
  input: NewRun,
  event: Omit<EventInput, "runId" | "integrationId" | "tenantId" | "version">,
): Promise<RunRecord> {
  const item = newRunItem(deps, input);
  const audit = record(deps, {
    ...event,
    runId: item.runId,
    integrationId: item.integrationId,
    tenantId: item.tenantId,
    version: item.version,
  });
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ run, event: events }) => [run.create(item).commit(), events.create(audit).commit()])
        .go(),
    [
      { code: "run_exists", message: `Run ${item.runId} already exists` },
      { code: "event_exists", message: `Event ${audit.eventId} already exists` },
    ],
  );
  return item;
}

/** Fields a transition may set besides the state. */
export type RunPatch = Partial<
  Pick<
    RunRecord,
    "reason" | "changeSetId" | "outcome" | "claimedAt" | "finishedAt" | "scheduleName" | "scheduledFor" | "watches"
  >
>;

export interface TransitionInput {
  runId: string;
  /** The state the caller believes the run is in; the write is conditional on it. */
  from: RunState;
  to: RunState;
  actor: Actor;
  action: string;
  reason?: string;
  data?: Record<string, unknown>;
  notify?: boolean;
  set?: RunPatch;
  /**
   * Checked inside the same transaction: no global halt, and the run's version still
   * `published`. The executor's claim uses it so a halt set a millisecond earlier wins.
   */
  requireNotHalted?: boolean;
  /**
   * Also checked inside the transaction: the integration is still connected, opted in, and has not
   * skipped this run's version — so a halt, skip or opt-out up to the last moment wins.
   */
  requireEligible?: boolean;
  /** An integration change that must happen with this transition or not at all (e.g. "now at version X"). */
  integration?: { current: IntegrationRecord; patch: IntegrationPatch };
  /** A follow-up run (a retry) created with this transition or not at all, with its own audit event. */
  next?: { run: NewRun; event: Omit<EventInput, "runId" | "integrationId" | "tenantId" | "version"> };
}

/**
 * Moves a run from `from` to `to` and appends its audit event in one DynamoDB transaction.
 * Every write is conditional on the state and revision read, so a duplicate delivery or a
 * concurrent claimer gets a `conflict` and changes nothing.
 */
export async function transition(deps: Deps, input: TransitionInput): Promise<RunRecord> {
  if (!canTransition(input.from, input.to)) {
    throw conflict("transition_not_allowed", `A run cannot go from ${input.from} to ${input.to}`, {
      from: input.from,
      to: input.to,
    });
  }
  const current = await get(deps, input.runId);
  if (current.state !== input.from) {
    throw conflict("run_state_changed", `Run ${input.runId} is ${current.state}, not ${input.from}`, {
      state: current.state,
    });
  }
  const now = deps.now().toISOString();
  const set = { ...input.set, state: input.to, updatedAt: now };
  const audit = record(deps, {
    actor: input.actor,
    action: input.action,
    reason: input.reason,
    data: { from: input.from, to: input.to, ...input.data },
    notify: input.notify,
    runId: current.runId,
    integrationId: current.integrationId,
    tenantId: current.tenantId,
    version: current.version,
  });
  const labels = [
    ...(input.requireNotHalted
      ? [
          { code: "halted", message: "All rollouts are halted" },
          { code: "version_halted", message: `Version ${current.version} is halted or withdrawn` },
        ]
      : []),
    { code: "run_state_changed", message: `Run ${input.runId} changed concurrently` },
    { code: "event_exists", message: `Event ${audit.eventId} already exists` },
  ];
  if (input.requireEligible)
    labels.splice(input.requireNotHalted ? 2 : 0, 0, {
      code: "integration_ineligible",
      message: "The integration is no longer connected and opted in for this version",
    });
  const alsoIntegration =
    input.integration && integrationWrite(deps, input.integration.current, input.integration.patch);
  if (alsoIntegration) labels.push(alsoIntegration.label);
  const nextRun = input.next && newRunItem(deps, input.next.run);
  const nextAudit =
    input.next &&
    nextRun &&
    record(deps, {
      ...input.next.event,
      runId: nextRun.runId,
      integrationId: nextRun.integrationId,
      tenantId: nextRun.tenantId,
      version: nextRun.version,
    });
  if (nextRun)
    labels.push(
      { code: "run_exists", message: `Run ${nextRun.runId} already exists` },
      { code: "event_exists", message: "Audit event id collision" },
    );
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ run, event, control, version, integration }) => [
          ...(input.requireNotHalted
            ? [
                control
                  .check({ name: "global" })
                  .where(({ halted }, { eq, notExists }) => `${notExists(halted)} OR ${eq(halted, false)}`)
                  .commit(),
                version
                  .check({ sequence: current.sequence })
                  .where(({ state }, { eq }) => eq(state, "published"))
                  .commit(),
              ]
            : []),
          ...(input.requireEligible
            ? [
                integration
                  .check({ integrationId: current.integrationId })
                  .where(
                    ({ status, autoUpdate, skippedVersions }, { eq, notContains }) =>
                      `${eq(status, "connected")} AND ${eq(autoUpdate, true)} AND ${notContains(skippedVersions, current.version)}`,
                  )
                  .commit(),
              ]
            : []),
          run
            .patch({ runId: current.runId })
            .set(set)
            .add({ rev: 1 })
            .where(({ state, rev }, { eq }) => `${eq(state, input.from)} AND ${eq(rev, current.rev)}`)
            .commit(),
          event.create(audit).commit(),
          ...(alsoIntegration ? [alsoIntegration.commit(integration)] : []),
          ...(nextRun && nextAudit ? [run.create(nextRun).commit(), event.create(nextAudit).commit()] : []),
        ])
        .go(),
    labels,
  );
  return { ...current, ...set, rev: current.rev + 1 };
}

/** The executor's first act: scheduled → claimed, atomically with the halt checks. */
export function claim(deps: Deps, runId: string, actor: Actor): Promise<RunRecord> {
  return transition(deps, {
    runId,
    from: "scheduled",
    to: "claimed",
    actor,
    action: "run.claimed",
    requireNotHalted: true,
    set: { claimedAt: deps.now().toISOString() },
  });
}

/** History of one integration, newest first. */
export async function byIntegration(deps: Deps, integrationId: string, limit = 50): Promise<RunRecord[]> {
  const { data } = await deps.service.entities.run.query.activity({ integrationId }).go({ order: "desc", limit });
  return data;
}

/** Rollout progress: runs of a version, optionally in one state. */
export async function byVersion(deps: Deps, version: string, state?: RunState): Promise<RunRecord[]> {
  const query = deps.service.entities.run.query.byVersion(state ? { version, state } : { version });
  const { data } = await query.go({ pages: "all" });
  return data;
}
