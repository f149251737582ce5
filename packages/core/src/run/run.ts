import type { EntityItem } from "electrodb";
import type { Actor, Deps } from "../context";
import type { Entities, TransactionEntities } from "../db/service";
import { commitItems, type LabelledItem, labelled } from "../db/transaction";
import { writeShardOf } from "../db/write-shards";
import { conflict, notFound } from "../error";
import { type EventInput, type EventRecord, record } from "../event/event";
import { type IntegrationPatch, type IntegrationRecord, integrationWrite } from "../integration/integration";
import { eligibilityCheck, haltChecks } from "./checks";
import type { RunConflict } from "./conflicts";
import { defaultLease, IN_FLIGHT_STATES, type Lease, leaseFields, type WaveSlot } from "./lease";
import type { RunState } from "./run.entity";
import { leavesFlight, releaseSlot, takeSlot } from "./slots";
import { leavesStack, releaseStack, takeStack, takesStack } from "./stack-lock";
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
  const audit = record(deps, { ...event, ...subjectOf(item) });
  await commitItems(deps.service, ({ run, event: events }) => [
    labelled(run.create(item).commit(), "run_exists", `Run ${item.runId} already exists`),
    labelled(events.create(audit).commit(), "event_exists", `Event ${audit.eventId} already exists`),
  ]);
  return item;
}

/** Fields a transition may set besides the state. */
export type RunPatch = Partial<
  Pick<
    RunRecord,
    | "reason"
    | "changeSetId"
    | "outcome"
    | "claimedAt"
    | "finishedAt"
    | "scheduleName"
    | "scheduledFor"
    | "watches"
    | "leaseUntil"
    | "leasedTo"
    | "holdsSlot"
  >
>;

export interface TransitionInput {
  /**
   * The run as the caller holds it: the write is conditional on its state and revision, so a
   * stale record (another delivery acted meanwhile) gets `run_state_changed` and changes nothing.
   */
  run: RunRecord;
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
  /**
   * A success's only integration change, "now at this version": written without the integration
   * as read, so a change made meanwhile (the stack's own registration callback) needs no re-read.
   */
  applied?: { version: string; sequence: number };
  /** A follow-up run (a retry) created with this transition or not at all, with its own audit event. */
  next?: { run: NewRun; event: Omit<EventInput, "runId" | "integrationId" | "tenantId" | "version"> };
  /** Into (or staying in) claimed, executing or watching: until when this holder acts (default: `defaultLease`). */
  lease?: Lease;
  /** Claiming only: take one of the wave's in-flight slots in the same transaction (`wave_full` if none is free). */
  slot?: WaveSlot;
  /** The same state again, as a takeover of an expired lease (only the lease and revision change). */
  takeover?: boolean;
  /** Claiming only: the final run the stack's turn is taken over from (it never gave it back). */
  stackFrom?: string;
  /**
   * Other facts this transition establishes (an access loss found by the attempt), recorded in
   * the same transaction as audit only: the transition's own event is the one notification.
   */
  facts?: Array<Omit<EventInput, "runId" | "integrationId" | "tenantId" | "version" | "notify">>;
}

/**
 * Moves a run from the state its record holds to `to` and appends its audit event in one
 * DynamoDB transaction, without reading the run again. Every write is conditional on the state
 * and revision held, so a duplicate delivery or a concurrent claimer gets a conflict
 * (`RunConflict`) and changes nothing.
 */
export async function transition(deps: Deps, input: TransitionInput): Promise<RunRecord> {
  return (await transitionAnnounced(deps, input)).run;
}

/**
 * `transition`, also returning the customer-visible events it committed (an outcome's
 * notification, a retry's announcement), so its caller can deliver them without reading them
 * back from the outbox. Audit-only facts are not among them.
 */
export async function transitionAnnounced(
  deps: Deps,
  input: TransitionInput,
): Promise<{ run: RunRecord; announced: EventRecord[] }> {
  const { run: current, to } = input;
  if (!(input.takeover && current.state === to) && !canTransition(current.state, to)) {
    throw conflict("transition_not_allowed" satisfies RunConflict, `A run cannot go from ${current.state} to ${to}`, {
      from: current.state,
      to,
    });
  }
  const lease = IN_FLIGHT_STATES.includes(to) ? leaseFields(input.lease ?? defaultLease(deps.now())) : {};
  const slot = input.slot ? { holdsSlot: true } : leavesFlight(current, to) ? { holdsSlot: false } : {};
  const turn = takesStack(current, to) ? { holdsStack: true } : leavesStack(current, to) ? { holdsStack: false } : {};
  const set = { ...input.set, ...lease, ...slot, ...turn, state: to, updatedAt: deps.now().toISOString() };
  let announced: EventRecord[] = [];
  await commitItems(deps.service, (entities) => {
    const built = transitionItems(deps, input, set, entities);
    announced = built.announced;
    return built.items;
  });
  return { run: { ...current, ...set, rev: current.rev + 1 }, announced };
}

function transitionItems(
  deps: Deps,
  input: TransitionInput,
  set: RunPatch & { state: RunState; updatedAt: string },
  { run, event, control, version, integration, waveTally, stackLock }: TransactionEntities,
): { items: LabelledItem<RunConflict>[]; announced: EventRecord[] } {
  const current = input.run;
  const audit = record(deps, {
    actor: input.actor,
    action: input.action,
    reason: input.reason,
    data: { from: current.state, to: input.to, ...input.data },
    notify: input.notify,
    ...subjectOf(current),
  });
  const items: LabelledItem<RunConflict>[] = [];
  if (input.requireNotHalted) items.push(...haltChecks(current, control, version));
  if (input.requireEligible) items.push(eligibilityCheck(current, integration));
  items.push(
    labelled(
      run
        .patch({ runId: current.runId })
        .set(set)
        // The sweep index's key is rebuilt with the state, and its partition carries the shard.
        .composite({ shard: writeShardOf(current.runId) })
        .add({ rev: 1 })
        .where(({ state, rev }, { eq }) => `${eq(state, current.state)} AND ${eq(rev, current.rev)}`)
        .commit(),
      "run_state_changed",
      `Run ${current.runId} changed concurrently`,
    ),
    labelled(event.create(audit).commit(), "event_exists", `Event ${audit.eventId} already exists`),
  );
  if (input.integration) {
    const write = integrationWrite(deps, input.integration.current, input.integration.patch);
    items.push(labelled(write.commit(integration), "integration_changed", write.label.message));
  }
  if (input.applied) items.push(appliedItem(deps, current.integrationId, input.applied, integration));
  if (input.slot) items.push(takeSlot(current, input.slot, waveTally));
  if (takesStack(current, input.to)) items.push(takeStack(deps, current, stackLock, input.stackFrom));
  if (leavesStack(current, input.to)) items.push(releaseStack(current, stackLock));
  // Leaving flight (an outcome, a cancel, the floor's "not yet") gives the wave's slot back.
  if (leavesFlight(current, input.to)) items.push(releaseSlot(current, waveTally));
  const announced: EventRecord[] = audit.notify ? [audit] : [];
  if (input.next) {
    const follow = nextRunItems(deps, input.next, run, event);
    items.push(...follow.items);
    if (follow.audit.notify) announced.push(follow.audit);
  }
  for (const fact of input.facts ?? []) {
    const item = record(deps, { ...fact, ...subjectOf(current), notify: false });
    items.push(labelled(event.create(item).commit(), "event_exists", `Event ${item.eventId} already exists`));
  }
  return { items, announced };
}

const subjectOf = (run: Pick<RunRecord, "runId" | "integrationId" | "tenantId" | "version">) => ({
  runId: run.runId,
  integrationId: run.integrationId,
  tenantId: run.tenantId,
  version: run.version,
});

/** Touches only the version fields (no index key is built from them); the revision still moves for optimistic writers. */
function appliedItem(
  deps: Deps,
  integrationId: string,
  applied: NonNullable<TransitionInput["applied"]>,
  integration: TransactionEntities["integration"],
) {
  const set = {
    currentVersion: applied.version,
    currentSequence: applied.sequence,
    updatedAt: deps.now().toISOString(),
  };
  return labelled(
    integration.patch({ integrationId }).set(set).add({ rev: 1 }).commit(),
    "integration_changed" as const,
    `Integration ${integrationId} no longer exists`,
  );
}

function nextRunItems(
  deps: Deps,
  next: NonNullable<TransitionInput["next"]>,
  run: TransactionEntities["run"],
  event: TransactionEntities["event"],
): { audit: EventRecord; items: LabelledItem<RunConflict>[] } {
  const item = newRunItem(deps, next.run);
  const audit = record(deps, { ...next.event, ...subjectOf(item) });
  return {
    audit,
    items: [
      labelled(run.create(item).commit(), "run_exists", `Run ${item.runId} already exists`),
      labelled(event.create(audit).commit(), "event_exists", "Audit event id collision"),
    ],
  };
}

/**
 * The executor's first act: scheduled → claimed under a lease, atomically with the halt checks,
 * the stack's turn (`stack_busy` while another run of the integration is in flight) and (for a
 * wave run) one of the wave's in-flight slots.
 */
export function claim(
  deps: Deps,
  run: RunRecord,
  actor: Actor,
  options: { lease?: Lease; slot?: WaveSlot; stackFrom?: string } = {},
): Promise<RunRecord> {
  return transition(deps, {
    run,
    to: "claimed",
    actor,
    action: "run.claimed",
    requireNotHalted: true,
    set: { claimedAt: deps.now().toISOString() },
    ...options,
  });
}

export { byIntegration, byVersion } from "./queries";
