import { isTransient } from "../aws/retry";
import type { Actor, Deps } from "../context";
import { commitTransaction, isTransactionConflict, retryContention } from "../db/transaction";
import { isStackfleetError } from "../error";
import { record } from "../event/event";
import type { IntegrationRecord } from "../integration/integration";
import { Outbox } from "../notify/index";
import type { RunRecord } from "../run/run";
import { plannedRunId } from "../run/run-id";
import { type ScheduleKind, scheduleName } from "../schedule/index";
import type { VersionRecord } from "../version/version";
import type { RolloutContext } from "./context";
import type { Wave } from "./progress.entity";

/** A run to create: who, which wave (or a customer's "manual" update-now), when, which try. */
export interface RunPlan {
  integration: Pick<IntegrationRecord, "integrationId" | "tenantId">;
  wave: Wave | "manual";
  at: Date;
  attempt: number;
  kind: ScheduleKind;
  /** The customer notification that goes with the run. */
  action: string;
  actor: Actor;
  reason?: string;
  /** Counted into the wave's size: first attempts of a wave only (the tally counts integrations). */
  countsTowardWave: boolean;
  /**
   * The bulk planner's shard: the size is counted on that shard's part (plan-size.entity.ts) and
   * folded into the tally later, so parallel shards never meet on the tally item. Absent: on the
   * tally itself, in the same transaction.
   */
  sizeShard?: number;
}

export type CreatedRun = { run: RunRecord; event: ReturnType<typeof record> };

// 49 runs + 49 events + 2 tallies: a transaction's 100 items. The planner reads pages of 98.
export const RUNS_PER_TRANSACTION = 49;

/**
 * Creates planned runs, each with its customer notification, in transactions of up to 49, and
 * grows the wave tallies in the same transactions. Every create is conditional: a run that
 * exists already (a concurrent planner won) cancels its chunk, which is then retried one run at
 * a time so the others still land. Returns the runs this call created.
 */
export async function createPlannedRuns(
  deps: Deps,
  version: VersionRecord,
  plans: readonly RunPlan[],
): Promise<CreatedRun[]> {
  const created: CreatedRun[] = [];
  for (let i = 0; i < plans.length; i += RUNS_PER_TRANSACTION) {
    const chunk = plans.slice(i, i + RUNS_PER_TRANSACTION).map((plan) => itemsFor(deps, version, plan));
    try {
      await commitChunkWithRetry(deps, version, chunk);
      created.push(...chunk.map(({ run, event }) => ({ run, event })));
    } catch (error) {
      if (!isStackfleetError(error, "conflict") || chunk.length === 1) {
        if (isStackfleetError(error, "conflict") && error.code === "run_exists") continue;
        throw error;
      }
      for (const one of chunk) {
        try {
          await commitChunkWithRetry(deps, version, [one]);
          created.push({ run: one.run, event: one.event });
        } catch (e) {
          if (!(isStackfleetError(e, "conflict") && e.code === "run_exists")) throw e;
        }
      }
    }
  }
  return created;
}

function itemsFor(deps: Deps, version: VersionRecord, plan: RunPlan) {
  const now = deps.now().toISOString();
  const runId = plannedRunId(version.version, plan.integration.integrationId, plan.attempt);
  const run: RunRecord = {
    runId,
    integrationId: plan.integration.integrationId,
    tenantId: plan.integration.tenantId,
    version: version.version,
    sequence: version.sequence,
    attempt: plan.attempt,
    wave: plan.wave,
    state: "scheduled",
    scheduledFor: plan.at.toISOString(),
    scheduleName: scheduleName(runId, plan.kind, plan.attempt),
    createdAt: now,
    updatedAt: now,
    rev: 0,
  };
  const event = record(deps, {
    actor: plan.actor,
    action: plan.action,
    reason: plan.reason,
    notify: true,
    runId,
    integrationId: run.integrationId,
    tenantId: run.tenantId,
    version: run.version,
    data: {
      version: version.version,
      scheduledFor: run.scheduledFor,
      changelogSummary: version.changelogSummary,
      wave: plan.wave,
      attempt: plan.attempt,
    },
  });
  return {
    run,
    event,
    wave: plan.countsTowardWave && plan.wave !== "manual" ? plan.wave : undefined,
    shard: plan.sizeShard,
  };
}

/**
 * Tried again when cancelled by contention (concurrent planners on a shard's size part) or when
 * DynamoDB answers a 5xx (ElectroDB wraps it; the SDK's retry quota may be spent under load). A
 * retry of a write that did land meets `run_exists`, which the caller already treats as "planned".
 */
const retryable = (error: unknown) =>
  isTransactionConflict(error) || isTransient((error as { cause?: unknown } | undefined)?.cause ?? error);
const commitChunkWithRetry = (deps: Deps, version: VersionRecord, chunk: ReturnType<typeof itemsFor>[]) =>
  retryContention(() => commitChunk(deps, version, chunk), { maxAttempts: 6, retryable });

async function commitChunk(deps: Deps, version: VersionRecord, chunk: ReturnType<typeof itemsFor>[]) {
  // Keyed by wave and shard ("" = the tally itself).
  const sizes = new Map<string, { wave: Wave; shard?: number; n: number }>();
  for (const { wave, shard } of chunk) {
    if (!wave) continue;
    const key = `${wave}/${shard ?? ""}`;
    sizes.set(key, { wave, shard, n: (sizes.get(key)?.n ?? 0) + 1 });
  }
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ run, event, waveTally, waveSizePart }) => [
          ...chunk.flatMap((c) => [run.create(c.run).commit(), event.create(c.event).commit()]),
          ...[...sizes.values()].map(({ wave, shard, n }) =>
            shard === undefined
              ? waveTally.update({ version: version.version, wave }).add({ size: n }).commit()
              : waveSizePart.update({ version: version.version, wave, shard }).add({ planned: n }).commit(),
          ),
        ])
        .go(),
    [
      ...chunk.flatMap((c) => [
        { code: "run_exists", message: `Run ${c.run.runId} already exists` },
        { code: "event_exists", message: `Event ${c.event.eventId} already exists` },
      ]),
      ...[...sizes].map(() => ({ code: "tally_conflict", message: "Wave tally changed concurrently" })),
    ],
  );
}

/** `<run id>.<kind>.<n>` → kind and n; the planner and the controls bump n for a new wake-up. */
export function wakeOf(run: Pick<RunRecord, "scheduleName" | "attempt">): { kind: ScheduleKind; n: number } {
  const parts = run.scheduleName?.split(".") ?? [];
  const n = Number(parts[2]);
  const kind = parts[1] as ScheduleKind | undefined;
  return kind && Number.isInteger(n) ? { kind, n } : { kind: "run", n: run.attempt };
}

/** The runs of one integration for one version, oldest attempt first. */
export async function runsFor(deps: Deps, integrationId: string, version: string): Promise<RunRecord[]> {
  const { data } = await deps.service.entities.run.query
    .activity({ integrationId })
    .where(({ version: v }, { eq }) => eq(v, version))
    .go({ pages: "all" });
  return data.sort((a, b) => a.attempt - b.attempt);
}

export const ACTIVE_STATES = ["scheduled", "claimed", "executing", "watching"] as const;
export const isActive = (run: Pick<RunRecord, "state">) => (ACTIVE_STATES as readonly string[]).includes(run.state);

// One outbox batch: a BatchWriteItem of delivery stamps (25) after its PublishBatch calls (10 each).
const DELIVERY_BATCH = 25;

/**
 * Hands the notifications of just-created runs to the notifier, when the context has one, a
 * page's batches at once rather than one after another. Best effort: the events are recorded, and
 * a failed delivery must not stop planning (the sweeper delivers what is left).
 */
export async function deliverCreated(deps: Deps, ctx: RolloutContext, created: readonly CreatedRun[]) {
  const { notifier } = ctx;
  if (!notifier || created.length === 0) return;
  const events = created.map((c) => c.event);
  const batches = Array.from({ length: Math.ceil(events.length / DELIVERY_BATCH) }, (_, i) =>
    events.slice(i * DELIVERY_BATCH, (i + 1) * DELIVERY_BATCH),
  );
  await Promise.all(batches.map((batch) => Outbox.deliver(deps, notifier, batch).catch(() => 0)));
}
