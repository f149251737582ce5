import { z } from "zod";
import type { Deps } from "../context";
import { isStackfleetError } from "../error";
import { IN_FLIGHT_STATES, leaseHeld } from "../run/lease";
import * as Run from "../run/run";
import type { SweeperContext } from "./context";

const RunInput = z.strictObject({ runId: z.string().regex(/^run_[0-9A-Za-z]{10,60}$/) });
/** Lambda's on-failure destination wraps the invocation's event as `requestPayload`. */
const LambdaFailure = z.object({ requestPayload: RunInput });

/**
 * The run a dead letter is about: Scheduler puts the schedule's input (`{ runId }`) on the queue
 * when it cannot invoke the executor; Lambda puts a failure record when the executor crashed.
 * Anything else is not ours to act on.
 */
export function runIdOfDeadLetter(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const direct = RunInput.safeParse(parsed);
  if (direct.success) return direct.data.runId;
  const failure = LambdaFailure.safeParse(parsed);
  return failure.success ? failure.data.requestPayload.runId : undefined;
}

export interface DeadLetterCounts {
  /** Runs handed to the executor again. */
  redelivered: number;
  /** Letters about runs that are final, still leased (the sweep picks them up when it runs out) or gone. */
  settled: number;
  /** Letters that name no run. */
  unreadable: number;
}

/**
 * Drains dead letters: a run that is waiting, or in flight with its lease run out, is delivered
 * again at once; everything else needs nothing (the sweep covers a lease still running). Throws
 * only when a re-delivery fails, so the queue keeps the letter for another try.
 */
export async function consumeDeadLetters(
  deps: Deps,
  ctx: SweeperContext,
  bodies: readonly string[],
): Promise<DeadLetterCounts> {
  const counts: DeadLetterCounts = { redelivered: 0, settled: 0, unreadable: 0 };
  for (const body of bodies) {
    const runId = runIdOfDeadLetter(body);
    if (!runId) {
      counts.unreadable++;
      ctx.log.warn("dead letter names no run", { body: body.slice(0, 300) });
      continue;
    }
    const run = await Run.get(deps, runId).catch((e: unknown) => {
      if (isStackfleetError(e, "not_found")) return undefined;
      throw e;
    });
    const live =
      run && (run.state === "scheduled" || (IN_FLIGHT_STATES.includes(run.state) && !leaseHeld(run, deps.now())));
    if (!live) {
      counts.settled++;
      continue;
    }
    await ctx.redeliver(runId);
    counts.redelivered++;
  }
  for (const [name, value] of Object.entries(counts)) ctx.metric?.(`dead_letters_${name}`, value, "Count");
  return counts;
}
