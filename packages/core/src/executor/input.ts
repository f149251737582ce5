import type { Deps } from "../context";
import { inputError } from "../error";
import { append } from "../event/event";
import * as z from "../zod-mini";

/**
 * `{ runId }`, optionally with the keys of the run's integration and version (`schedule/run-scheduler.ts`
 * `RunHint`): they only say what to read alongside the run, which decides. Everything else comes from the table.
 */
export const ExecutorInput = z.strictObject({
  runId: z.string().check(z.regex(/^run_[0-9A-Za-z]{10,60}$/, "must be a run id")),
  integrationId: z.optional(z.string().check(z.regex(/^[0-9A-Za-z_-]{1,100}$/, "must be an integration id"))),
  sequence: z.optional(z.number().check(z.int(), z.positive())),
});

export interface ExecutorRequest {
  runId: string;
  hint?: { integrationId: string; sequence: number };
}

/** Parses the schedule's payload; anything else is refused and recorded, never acted on. */
export async function parseExecutorInput(deps: Deps, payload: unknown): Promise<ExecutorRequest> {
  const parsed = ExecutorInput.safeParse(payload);
  if (parsed.success) {
    const { runId, integrationId, sequence } = parsed.data;
    return integrationId && sequence ? { runId, hint: { integrationId, sequence } } : { runId };
  }
  const shown = JSON.stringify(payload)?.slice(0, 500) ?? String(payload);
  await append(deps, {
    actor: "system:executor",
    action: "executor.input-rejected",
    reason: "invalid_input",
    data: { payload: shown, issues: parsed.error.issues.map((i) => i.message) },
  });
  throw inputError("invalid_input", `Executor input must be { runId } (with its integrationId and sequence): ${shown}`);
}
