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
// The two functions themselves, not the barrels' `Outbox`/`Run` namespaces: esbuild keeps every
// function of a namespace imported through a barrel in the executor's bundle.
import { deliver, sweep } from "@stackfleet/core/notify/deliver";
import type { Notifier } from "@stackfleet/core/notify/notifier";
import { get as getRun } from "@stackfleet/core/run/run";

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
  return async (
    event: unknown,
    invocation: Invocation,
  ): Promise<ExecutionResult | { result: "rejected"; detail: string }> => {
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
    if (!("runId" in result)) return result;
    const { announced, ...answer } = result;
    // The run's customer-visible events (outcome, retry planned, access lost) go out now: the ones
    // the outcome's transaction committed, as it committed them, with no read of the outbox. A
    // hand-over to a watch announces nothing. An outcome written elsewhere (no `announced`) is
    // looked up in the integration's outbox.
    if (notifier && result.result !== "watch_scheduled") {
      // Delivery can wait for the outbox sweep; it must never turn a finished run into a retried invocation.
      const delivered = announced
        ? deliver(deps, notifier, announced)
        : Promise.resolve(result.integrationId ?? getRun(deps, result.runId).then((r) => r.integrationId)).then(
            (integrationId) => sweep(deps, notifier, { integrationId }),
          );
      await delivered.catch((e: unknown) =>
        invocation.log.warn("notification delivery deferred", { error: (e as Error).message }),
      );
    }
    return answer;
  };
}
