import type { StackStatus } from "@aws-sdk/client-cloudformation";
import type { EngineCore } from "./core";
import type { Claim } from "./tokens";
import type { StackRecord } from "./types";

/** One account/Region of the engine as it is saved. */
export interface SavedRegion {
  accountId: string;
  region: string;
  stacks: StackRecord[];
  names: Array<[string, string]>;
  tokens: Array<[string, Claim]>;
}

const RESTART_REASON = "The sandbox restarted while this operation was in progress";

/** Where an operation cut short by a restart leaves its stack: the failure state AWS would show. */
const INTERRUPTED: Partial<Record<StackStatus, StackStatus>> = {
  CREATE_IN_PROGRESS: "CREATE_FAILED",
  ROLLBACK_IN_PROGRESS: "ROLLBACK_FAILED",
  UPDATE_IN_PROGRESS: "UPDATE_ROLLBACK_FAILED",
  UPDATE_COMPLETE_CLEANUP_IN_PROGRESS: "UPDATE_COMPLETE",
  UPDATE_ROLLBACK_IN_PROGRESS: "UPDATE_ROLLBACK_FAILED",
  UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS: "UPDATE_ROLLBACK_COMPLETE",
  DELETE_IN_PROGRESS: "DELETE_FAILED",
};

export function saveRegions(core: EngineCore): SavedRegion[] {
  return core.allRegions().map(([key, state]) => {
    const [accountId, region] = [key.slice(0, key.indexOf("/")), key.slice(key.indexOf("/") + 1)];
    return {
      accountId: accountId!,
      region: region!,
      stacks: [...state.stacks.values()],
      names: [...state.names],
      tokens: state.tokens.entries(),
    };
  });
}

/**
 * Puts saved stacks back. Operations in flight cannot be resumed (their code was running), so a
 * stack caught mid-operation ends in the failure status its operation would have reached, with a
 * reason saying why; a change set still being computed is FAILED. `stop()` settles due work before
 * saving, so this only happens when the process died.
 */
export function restoreRegions(core: EngineCore, saved: SavedRegion[]): void {
  for (const entry of saved) {
    const state = core.region(entry.accountId, entry.region);
    for (const stack of entry.stacks) {
      interrupt(stack);
      state.stacks.set(stack.stackId, stack);
    }
    for (const [name, id] of entry.names) state.names.set(name, id);
    state.tokens.restore(entry.tokens);
  }
}

function interrupt(stack: StackRecord): void {
  const failed = INTERRUPTED[stack.status];
  if (failed) {
    stack.status = failed;
    stack.statusReason = RESTART_REASON;
  }
  for (const changeSet of stack.changeSets.values()) {
    if (changeSet.status === "CREATE_PENDING" || changeSet.status === "CREATE_IN_PROGRESS") {
      changeSet.status = "FAILED";
      changeSet.statusReason = RESTART_REASON;
      changeSet.executionStatus = "UNAVAILABLE";
    }
    if (changeSet.executionStatus === "EXECUTE_IN_PROGRESS") changeSet.executionStatus = "EXECUTE_FAILED";
  }
}
