import type { ResourceRecord } from "./types";

/**
 * Why a resource goes: the stack (or the resource) is deleted, an update replaced it, or the
 * rollback of the operation that created it removes it.
 */
export type DeleteCause = "delete" | "replaced" | "rollback";

/**
 * Whether the resource's policy keeps it. `RetainExceptOnCreate` acts as `Retain` except when the
 * operation that created it rolls back (every rollback delete here removes what that operation
 * created); `UpdateReplacePolicy` takes only `Retain` (and `Delete`, `Snapshot`).
 */
export function retainedBy(definition: ResourceRecord["definition"], cause: DeleteCause): boolean {
  if (cause === "replaced") return definition.UpdateReplacePolicy === "Retain";
  const policy = definition.DeletionPolicy;
  return policy === "Retain" || (policy === "RetainExceptOnCreate" && cause === "delete");
}
