import { ExecutorConfig, fromEnv } from "@stackfleet/core/executor-config";
import { jsonLog } from "@stackfleet/core/log";
import type { Context } from "aws-lambda";
import { emfMetrics } from "./wiring/emf";
import { awsExecutorAdapters, wireExecutor } from "./wiring/executor";

// Logs and metrics without Powertools (the bundle budget: wiring/emf.ts): core's JSON lines and
// hand-written EMF, flushed once per invocation as Powertools' `publishStoredMetrics()` was.
const metrics = emfMetrics();
const config = fromEnv(ExecutorConfig);
const { handle } = wireExecutor(config, awsExecutorAdapters(config, metrics.metric));
let coldStart = true;

export async function handler(event: unknown, context: Context) {
  // A fresh logger per invocation: no keys carried over from the previous run.
  const log = jsonLog("stackfleet-executor");
  log.appendKeys({
    function_request_id: context.awsRequestId,
    function_name: context.functionName,
    cold_start: coldStart,
  });
  coldStart = false;
  try {
    return await handle(event, { remainingMs: () => context.getRemainingTimeInMillis(), log });
  } finally {
    metrics.flush();
  }
}
