import type { Output } from "@aws-sdk/client-cloudformation";
import { evaluateOutputs } from "./outputs";
import type { Target } from "./steps";
import type { StackRecord } from "./types";

export function outputsOf(
  stack: StackRecord,
  target: Target,
): { ok: true; outputs: Output[] } | { ok: false; reason: string } {
  try {
    return {
      ok: true,
      outputs: evaluateOutputs(stack, target.template, target.parameters, target.conditions, (id) =>
        stack.resources.get(id),
      ),
    };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
