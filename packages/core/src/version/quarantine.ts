import type { Actor, Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { isStackfleetError } from "../error";
import { record } from "../event/event";
import { get, type VersionRecord } from "./version";

const INTEGRITY: Actor = "system:integrity";
/** The event operators are paged on; customers are not notified of our internal failure. */
export const OPERATOR_ALERT = "operator.alert";

/**
 * A signature or digest failure is about the version, not about one run: whoever sees it halts
 * the version for everyone, raises an operator alert and records the audit, in one transaction.
 * Idempotent; a quarantined version cannot be resumed (publish a new version instead).
 */
export async function quarantineVersion(deps: Deps, versionName: string, reason: string): Promise<VersionRecord> {
  for (let attempt = 0; ; attempt++) {
    const current = await get(deps, versionName);
    if (current.quarantinedAt) return current;
    try {
      return await writeQuarantine(deps, current, reason);
    } catch (error) {
      // A concurrent halt or resume changed the record: re-read and quarantine that.
      if (attempt >= 3 || !isStackfleetError(error, "conflict")) throw error;
    }
  }
}

async function writeQuarantine(deps: Deps, current: VersionRecord, reason: string): Promise<VersionRecord> {
  const now = deps.now().toISOString();
  const set = {
    state: current.state === "withdrawn" ? ("withdrawn" as const) : ("halted" as const),
    stateReason: `quarantined: ${reason}`,
    quarantinedAt: now,
    updatedAt: now,
  };
  const audit = record(deps, { actor: INTEGRITY, action: "version.quarantined", version: current.version, reason });
  const alert = record(deps, {
    actor: INTEGRITY,
    action: OPERATOR_ALERT,
    version: current.version,
    reason,
    data: { kind: "integrity", previousState: current.state },
  });
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ version, event }) => [
          version
            .patch({ sequence: current.sequence })
            .set(set)
            .where(({ updatedAt }, { eq }) => eq(updatedAt, current.updatedAt))
            .commit(),
          event.create(audit).commit(),
          event.create(alert).commit(),
        ])
        .go(),
    [
      { code: "version_changed", message: `Version ${current.version} changed concurrently; retry` },
      { code: "event_exists", message: "Audit event id collision" },
      { code: "event_exists", message: "Alert event id collision" },
    ],
  );
  return { ...current, ...set };
}
