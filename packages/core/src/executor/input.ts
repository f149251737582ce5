import * as z from "zod";
import type { Deps } from "../context";
import { inputError } from "../error";
import { append } from "../event/event";

/** Exactly `{ runId }`. Everything else about the run comes from the table. */
export const ExecutorInput = z.strictObject({
  runId: z.string().regex(/^run_[0-9A-Za-z]{10,60}$/, "must be a run id"),
});

/** Parses the schedule's payload; anything else is refused and recorded, never acted on. */
export async function parseExecutorInput(deps: Deps, payload: unknown): Promise<string> {
  const parsed = ExecutorInput.safeParse(payload);
  if (parsed.success) return parsed.data.runId;
  const shown = JSON.stringify(payload)?.slice(0, 500) ?? String(payload);
  await append(deps, {
    actor: "system:executor",
    action: "executor.input-rejected",
    reason: "invalid_input",
    data: { payload: shown, issues: parsed.error.issues.map((i) => i.message) },
  });
  throw inputError("invalid_input", `Executor input must be exactly { runId }: ${shown}`);
}
