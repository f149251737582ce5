import type { Deps } from "@stackfleet/core/context";
import { isStackfleetError } from "@stackfleet/core/error";
import {
  type ExecutionResult,
  type ExecutorContext,
  type ExecutorRequest,
  executeRun,
  parseExecutorInput,
} from "@stackfleet/core/executor";
import type { Log } from "@stackfleet/core/log";
// The function itself, not the barrel's `Outbox` namespace: esbuild keeps every function of a
// namespace imported through a barrel in the executor's bundle.
import { deliver } from "@stackfleet/core/notify/deliver";
import type { Notifier } from "@stackfleet/core/notify/notifier";

type Outcome = Extract<ExecutionResult, { announced: unknown }>;
/** What an invocation answers: its result, less the events it delivered. */
export type Answer = Exclude<ExecutionResult, Outcome> | Omit<Outcome, "announced">;

/** What differs per invocation: the time left and a logger carrying this invocation's keys. */
export interface Invocation {
  remainingMs(): number;
  log: Log;
}

/**
 * The executor as Lambda (and the local sandbox scheduler) invokes it: the schedule's input is
 * parsed strictly, a rejected input is recorded and not retried (throwing would make Lambda's
 * async retries replay it), everything else is one core call.
 */
export function createExecutorHandler(
  deps: Deps,
  context: Omit<ExecutorContext, "remainingMs" | "log">,
  notifier?: Notifier,
) {
  return async (event: unknown, invocation: Invocation): Promise<Answer | { result: "rejected"; detail: string }> => {
    let request: ExecutorRequest;
    try {
      request = await parseExecutorInput(deps, event);
    } catch (e) {
      if (!isStackfleetError(e, "input")) throw e;
      invocation.log.warn("input rejected", { error: e.message });
      return { result: "rejected", detail: e.message };
    }
    const result = await executeRun(
      deps,
      { ...context, remainingMs: invocation.remainingMs, log: invocation.log },
      request.runId,
      request.hint,
    );
    // Only an outcome announces (a hand-over to a watch does not): its customer-visible events
    // (outcome, retry planned, access lost) go out now, as its transaction committed them, with no
    // read of the outbox.
    if (!("announced" in result)) return result;
    const { announced, ...answer } = result;
    // Delivery can wait for the outbox sweep; it must never turn a finished run into a retried invocation.
    if (notifier)
      await deliver(deps, notifier, announced).catch((e: unknown) =>
        invocation.log.warn("notification delivery deferred", { error: (e as Error).message }),
      );
    return answer;
  };
}
