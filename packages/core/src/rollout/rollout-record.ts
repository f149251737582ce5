import { createHash } from "node:crypto";
import type { Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { conflict } from "../error";
import { record } from "../event/event";
import { PLAN_SHARDS } from "../integration/integration.entity";
import { type Notifier, Outbox } from "../notify/index";
import { HOUR_MS } from "../time";
import type { VersionRecord } from "../version/version";
import { get as getVersion } from "../version/version";
import { RolloutPolicy } from "./policy";
import type { Wave } from "./progress.entity";
import { concurrencyFor } from "./tolerance";
import { type MaintenanceWindow, runTimeFor } from "./window";

/**
 * What a version's rollout fixed when planning began, kept on the version (`rollout`): the
 * policy (a later policy change does not reshape a rollout in flight) and the size of the
 * eligible pool then, from which the waves' batch sizes are derived.
 */
export interface RolloutRecord {
  policy: RolloutPolicy;
  fleetSize: number;
  canaryEstimate: number;
  startedAt: string;
}

export function rolloutOf(version: Pick<VersionRecord, "rollout">): RolloutRecord | undefined {
  const raw = version.rollout as Partial<RolloutRecord> | undefined;
  if (!raw?.policy) return undefined;
  return { ...(raw as RolloutRecord), policy: RolloutPolicy.parse(raw.policy) };
}

/** Counts the eligible pool, every shard at once (keys only over the wire; no scan). */
async function countEligible(deps: Deps): Promise<number> {
  const counts = await Promise.all(
    Array.from({ length: PLAN_SHARDS }, async (_, shard) => {
      const { data } = await deps.service.entities.integration.query
        .byPlanState({ planState: "eligible", planShard: shard })
        .go({ pages: "all", attributes: ["integrationId"] });
      return data.length;
    }),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/**
 * The rollout record, written once by the first planner to get there (conditional on its
 * absence), together with the announcement every subscriber gets: the version, its changelog
 * headline and its grace end — including customers who will not be updated automatically.
 */
export async function ensureRolloutRecord(
  deps: Deps,
  version: VersionRecord,
  policy: RolloutPolicy,
  notifier?: Notifier,
): Promise<RolloutRecord> {
  const existing = rolloutOf(version);
  if (existing) return existing;
  const fleetSize = await countEligible(deps);
  const named = policy.canary?.integrationIds?.length ?? 0;
  const canaryEstimate = Math.min(fleetSize, named + Math.ceil((fleetSize * (policy.canary?.percentage ?? 0)) / 100));
  const rollout: RolloutRecord = { policy, fleetSize, canaryEstimate, startedAt: deps.now().toISOString() };
  const announcement = record(deps, {
    actor: "system:planner",
    action: "version.announced",
    version: version.version,
    notify: true,
    data: {
      changelogSummary: version.changelogSummary,
      graceEndsAt: version.graceEndsAt,
      permissionsBroadened: version.permissionsBroadened,
    },
  });
  try {
    await commitTransaction(
      () =>
        deps.service.transaction
          .write(({ version: versions, event }) => [
            // updatedAt stays: it is the operator controls' concurrency token, and this is bookkeeping.
            versions
              .patch({ sequence: version.sequence })
              .set({ rollout })
              .where(({ rollout: r }, { notExists }) => notExists(r))
              .commit(),
            event.create(announcement).commit(),
          ])
          .go(),
      [
        { code: "rollout_exists", message: `The rollout of ${version.version} is recorded already` },
        { code: "event_exists", message: "Audit event id collision" },
      ],
    );
  } catch (error) {
    const fresh = rolloutOf(await getVersion(deps, version.version));
    if (fresh) return fresh;
    throw conflict(
      "rollout_record_failed",
      `Could not record the rollout of ${version.version}: ${(error as Error).message}`,
    );
  }
  // Best effort: the announcement is recorded whatever the notifier does.
  if (notifier) await Outbox.deliver(deps, notifier, [announcement]).catch(() => 0);
  return rollout;
}

/**
 * Canary membership, decided per integration so planning can page: the policy's named ids, plus
 * every integration whose hash under the version falls in the first `percentage` % of the hash
 * space. Seeded with the version so the same customers are not every release's canary. The
 * cohort is `percentage` % of the fleet in expectation, not exactly: an exact split would need
 * the whole fleet in memory before the first write, which a plan continued across invocations
 * does not have.
 */
export function waveOf(policy: Pick<RolloutPolicy, "canary">, version: string, integrationId: string): Wave {
  if (policy.canary?.integrationIds?.includes(integrationId)) return "canary";
  const percentage = policy.canary?.percentage ?? 0;
  if (percentage <= 0) return "main";
  const point =
    createHash("sha256").update(version).update("\0").update(integrationId).digest().readUInt32BE(0) / 2 ** 32;
  return point < percentage / 100 ? "canary" : "main";
}

/**
 * When the `index`-th run of a wave goes: its wave's start (grace end; the main wave a
 * cooling-off later when there is a canary), plus one slot per `concurrency` runs before it,
 * never in the past, then into the integration's maintenance window. The executor's gate stays
 * the authority; slots only keep the usual case from piling every run onto one minute.
 */
export function runTime(input: {
  rollout: RolloutRecord;
  graceEnd: Date;
  wave: Wave;
  index: number;
  window: MaintenanceWindow | undefined;
  now: Date;
  slotMinutes: number;
}): Date {
  const { policy, fleetSize, canaryEstimate } = input.rollout;
  const hasCanary = policy.canary !== undefined && canaryEstimate > 0;
  const start =
    input.wave === "main" && hasCanary
      ? input.graceEnd.getTime() + policy.coolingOffHours * HOUR_MS
      : input.graceEnd.getTime();
  const waveSize = input.wave === "canary" ? canaryEstimate : Math.max(1, fleetSize - canaryEstimate);
  const perSlot = Math.max(1, concurrencyFor(policy, waveSize, 0));
  const slot = start + Math.floor(input.index / perSlot) * input.slotMinutes * 60_000;
  return runTimeFor(input.window, new Date(Math.max(slot, input.now.getTime())));
}
