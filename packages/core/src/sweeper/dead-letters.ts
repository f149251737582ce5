import * as z from "zod";
import type { Deps } from "../context";
import { isStackfleetError } from "../error";
import { append } from "../event/event";
import { IN_FLIGHT_STATES, leaseHeld } from "../run/lease";
import * as Run from "../run/run";
import { OPERATOR_ALERT } from "../version/quarantine";
import type { SweeperContext } from "./context";

// The schedule's input: the run id, and the keys the executor may read with it (`RunHint`).
const RunInput = z.strictObject({
  runId: z.string().regex(/^run_[0-9A-Za-z]{10,60}$/),
  integrationId: z.string().optional(),
  sequence: z.number().optional(),
});
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
      await recordUnreadable(deps, ctx, body);
      counts.unreadable++;
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

/**
 * A letter naming no run cannot be re-delivered, and the queue would only keep re-offering it:
 * it is consumed, and kept on record as an operator alert (the dead-letter alarm has already
 * paged on its arrival) so someone can see what it was. If even the record fails, the letter
 * stays on the queue for another try.
 */
async function recordUnreadable(deps: Deps, ctx: SweeperContext, body: string) {
  const excerpt = body.slice(0, 1_000);
  ctx.log.warn("dead letter names no run", { body: excerpt.slice(0, 300) });
  await append(deps, {
    actor: "system:sweeper",
    action: OPERATOR_ALERT,
    reason: "dead_letter_unreadable",
    data: { kind: "dead_letter", body: excerpt, length: body.length },
  });
}
