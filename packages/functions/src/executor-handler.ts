import type { Deps } from "@stackfleet/core/context";
import { isStackfleetError } from "@stackfleet/core/error";
import { executeRun, parseExecutorInput, type ExecutionResult, type ExecutorContext } from "@stackfleet/core/executor/index";
import type { Log } from "@stackfleet/core/log";

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
export function createExecutorHandler(deps: Deps, context: Omit<ExecutorContext, "remainingMs" | "log">) {
  return async (event: unknown, invocation: Invocation): Promise<ExecutionResult | { result: "rejected"; detail: string }> => {
    let runId: string;
    try {
      runId = await parseExecutorInput(deps, event);
    } catch (e) {
      if (!isStackfleetError(e, "input")) throw e;
      invocation.log.warn("input rejected", { error: e.message });
      return { result: "rejected", detail: e.message };
    }
    return executeRun(deps, { ...context, remainingMs: invocation.remainingMs, log: invocation.log }, runId);
  };
}
