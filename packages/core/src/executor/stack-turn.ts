import { conflict, isStackfleetError } from "../error";
import { isRunConflict } from "../run/conflicts";
import * as Run from "../run/run";
import { stackHolder } from "../run/stack-lock";
import { TERMINAL_STATES } from "../run/transitions";
import type { Delivery } from "./context";

/** Looking again no sooner than this: the holder is at least one CloudFormation call from done. */
const MIN_WAIT_MS = 60_000;
/** …and no later: a holder that ends early should not leave the next version waiting long. */
const MAX_WAIT_MS = 15 * 60_000;

/**
 * Claims the run, or finds out when to try again because another run of the same integration is
 * acting on its stack (`stack_busy`, carrying `retryAt`). A turn whose holder is final (or gone)
 * was left behind — nothing gives it back any more — and is taken over by naming that holder, so
 * two claimers cannot both take it.
 */
export async function claimTurn(
  delivery: Delivery,
  claim: (stackFrom?: string) => Promise<Run.RunRecord>,
): Promise<Run.RunRecord> {
  try {
    return await claim();
  } catch (e) {
    if (!isRunConflict(e, "stack_busy")) throw e;
    const { deps, ctx, run } = delivery;
    const holderId = await stackHolder(deps, run.integrationId);
    // Given back between our claim and the read: claim again (a new holder makes it busy again).
    if (!holderId) return claim();
    const holder = await Run.get(deps, holderId).catch((error: unknown) => {
      if (isStackfleetError(error, "not_found")) return undefined;
      throw error;
    });
    if (!holder || (TERMINAL_STATES as readonly string[]).includes(holder.state)) {
      ctx.log.warn("stack turn taken over from a final run", { holder: holderId, state: holder?.state });
      return claim(holderId);
    }
    const now = deps.now().getTime();
    const until = Date.parse(holder.leaseUntil ?? "") || now;
    const retryAt = new Date(Math.min(now + MAX_WAIT_MS, Math.max(now + MIN_WAIT_MS, until)));
    throw conflict("stack_busy", `Run ${holderId} is acting on the stack until about ${retryAt.toISOString()}`, {
      holder: holderId,
      retryAt: retryAt.toISOString(),
    });
  }
}

/** When a `stack_busy` conflict from `claimTurn` says to look again. */
export const busyUntil = (e: { details?: Record<string, unknown> }, now: Date) =>
  new Date(typeof e.details?.retryAt === "string" ? e.details.retryAt : now.getTime() + MIN_WAIT_MS);
