import type { Actor, Deps } from "../context";
import { commitTransaction } from "../db/transaction";
import { conflict } from "../error";
import { record } from "../event/event";
import type { PinnedKey } from "../signing/pinned";
import { verifyApproval } from "./approval";
import { get, type VersionRecord } from "./version";

export interface GlobalControl {
  halted: boolean;
  reason?: string;
  changedBy?: string;
  updatedAt?: string;
}

export async function globalControl(deps: Deps): Promise<GlobalControl> {
  const { data } = await deps.service.entities.control.get({ name: "global" }).go();
  return data ?? { halted: false };
}

/**
 * The kill switch. A flag the executor re-checks in the same transaction that claims a run —
 * deleting schedules is only a courtesy, since a deleted group's schedules may still fire.
 */
export async function setGlobalHalt(
  deps: Deps,
  halted: boolean,
  actor: Actor,
  reason?: string,
): Promise<GlobalControl> {
  const item = { name: "global" as const, halted, reason, changedBy: actor, updatedAt: deps.now().toISOString() };
  const audit = record(deps, { actor, action: halted ? "rollouts.halted" : "rollouts.resumed", reason });
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ control, event }) => [control.put(item).commit(), event.create(audit).commit()])
        .go(),
    [
      { code: "control_conflict", message: "The global control changed concurrently" },
      { code: "event_exists", message: "Audit event id collision" },
    ],
  );
  return item;
}

async function changeVersion(
  deps: Deps,
  current: VersionRecord,
  set: Partial<Pick<VersionRecord, "state" | "stateReason" | "approvedBy" | "approval">>,
  event: { actor: Actor; action: string; reason?: string },
): Promise<VersionRecord> {
  const next = { ...set, updatedAt: deps.now().toISOString() };
  const audit = record(deps, { ...event, version: current.version });
  await commitTransaction(
    () =>
      deps.service.transaction
        .write(({ version, event: events }) => [
          version
            .patch({ sequence: current.sequence })
            .set(next)
            .where(
              ({ state, updatedAt }, { eq }) => `${eq(state, current.state)} AND ${eq(updatedAt, current.updatedAt)}`,
            )
            .commit(),
          events.create(audit).commit(),
        ])
        .go(),
    [
      { code: "version_changed", message: `Version ${current.version} changed concurrently; retry` },
      { code: "event_exists", message: "Audit event id collision" },
    ],
  );
  return { ...current, ...next };
}

export async function haltVersion(deps: Deps, version: string, actor: Actor, reason?: string) {
  const current = await get(deps, version);
  if (current.state === "halted") return current;
  if (current.state !== "published") throw conflict("version_not_published", `Version ${version} is ${current.state}`);
  return changeVersion(
    deps,
    current,
    { state: "halted", stateReason: reason },
    { actor, action: "version.halted", reason },
  );
}

export async function resumeVersion(deps: Deps, version: string, actor: Actor, reason?: string) {
  const current = await get(deps, version);
  if (current.quarantinedAt)
    throw conflict("version_quarantined", `Version ${version} failed an integrity check; publish a new version`);
  if (current.state === "published") return current;
  if (current.state !== "halted") throw conflict("version_not_halted", `Version ${version} is ${current.state}`);
  return changeVersion(
    deps,
    current,
    { state: "published", stateReason: reason },
    { actor, action: "version.resumed", reason },
  );
}

/**
 * A broadening version waits for an approver's second signature over its exact manifest bytes,
 * by a key pinned as approver (never a release key). An operator flag alone approves nothing:
 * the executor checks the stored signature against its own pins.
 */
export async function approveVersion(
  deps: Deps,
  ctx: { approverKeys?: readonly PinnedKey[] },
  version: string,
  approval: { keyId: string; signature: string },
  actor: Actor,
) {
  const current = await get(deps, version);
  // The executor refuses every broadening version without an approval, whatever the grace policy says.
  if (!current.approvalRequired && !current.permissionsBroadened)
    throw conflict("approval_not_required", `Version ${version} does not need approval`);
  verifyApproval({
    manifestBytes: Buffer.from(current.manifest, "base64"),
    approval,
    pinnedApproverKeys: ctx.approverKeys ?? [],
  });
  if (current.approval) return current;
  return changeVersion(
    deps,
    current,
    { approvedBy: actor, approval: { keyId: approval.keyId, signature: approval.signature } },
    { actor, action: "version.approved", reason: `approver key ${approval.keyId}` },
  );
}
