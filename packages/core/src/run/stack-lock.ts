import type { Deps } from "../context";
import type { TransactionEntities } from "../db/service";
import { labelled } from "../db/transaction";
import { IN_FLIGHT_STATES } from "./lease";
import type { RunRecord } from "./run";
import type { RunState } from "./run.entity";

/** Claiming: scheduled → claimed takes the stack; the transition out of flight gives it back. */
export const takesStack = (run: RunRecord, to: RunState) => run.state === "scheduled" && to === "claimed";
export const leavesStack = (run: RunRecord, to: RunState) =>
  run.holdsStack === true && IN_FLIGHT_STATES.includes(run.state) && !IN_FLIGHT_STATES.includes(to);

/**
 * The claim's condition: nobody holds the stack (or this run already does: a retried claim whose
 * response was lost). `from`: the holder the caller found final and takes the stack over from — a
 * turn left behind is given up only by naming it, so two claimers cannot both take it.
 */
export function takeStack(deps: Deps, current: RunRecord, stackLock: TransactionEntities["stackLock"], from?: string) {
  return labelled(
    stackLock
      .put({
        integrationId: current.integrationId,
        runId: current.runId,
        version: current.version,
        takenAt: deps.now().toISOString(),
      })
      .where(({ runId }, { notExists, eq }) =>
        from ? eq(runId, from) : `${notExists(runId)} OR ${eq(runId, current.runId)}`,
      )
      .commit(),
    "stack_busy",
    `Another run is acting on the stack of ${current.integrationId}`,
  );
}

/**
 * Gives the stack back: only a run that took it (`holdsStack`) gives it back, and only its own —
 * nobody else can hold it meanwhile (a turn is taken over only from a final run), so the condition
 * never blocks an outcome; a run claimed before turns existed has nothing to give back.
 */
export function releaseStack(current: RunRecord, stackLock: TransactionEntities["stackLock"]) {
  return labelled(
    stackLock
      .delete({ integrationId: current.integrationId })
      .where(({ runId }, { eq }) => eq(runId, current.runId))
      .commit(),
    "stack_lost",
    `Run ${current.runId} no longer holds the stack of ${current.integrationId}`,
  );
}

/** The run whose turn it is on an integration's stack, if any (strongly consistent: a claim decides on it). */
export async function stackHolder(deps: Deps, integrationId: string): Promise<string | undefined> {
  const { data } = await deps.service.entities.stackLock.get({ integrationId }).go({ consistent: true });
  return data?.runId;
}
