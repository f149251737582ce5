import type { Actor, Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { record } from "../event/event";
import { RolloutPolicy, type RolloutPolicyInput } from "./policy";

/**
 * Stores the rollout policy operators choose (control item `rollout-policy`), with its audit
 * event. Rollouts already planned keep the policy they started with (see `RolloutRecord`).
 */
export async function setRolloutPolicy(deps: Deps, input: RolloutPolicyInput, actor: Actor): Promise<RolloutPolicy> {
  const policy = RolloutPolicy.parse(input);
  const item = {
    name: "rollout-policy" as const,
    halted: false,
    policy,
    changedBy: actor,
    updatedAt: deps.now().toISOString(),
  };
  const audit = record(deps, { actor, action: "rollout-policy.changed", data: { policy } });
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ control, event }) => [control.put(item).commit(), event.create(audit).commit()])
        .go(),
    [
      { code: "control_conflict", message: "The rollout policy changed concurrently" },
      { code: "event_exists", message: "Audit event id collision" },
    ],
  );
  return policy;
}
