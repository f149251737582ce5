import { createHash } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * The id of the run that brings `integrationId` to `version` on its `attempt`-th try:
 * `run_` + 26 Crockford base-32 characters (130 bits) of
 * SHA-256("stackfleet-run\0<version>\0<integrationId>\0<attempt>"). It has the shape of the
 * `run_<ULID>` ids elsewhere but is derived, not drawn: planning twice (a replayed publish, a
 * planner invocation retried after a timeout) arrives at the same ids, and the conditional
 * create makes the second attempt a no-op. Unlike a ULID it does not sort by time — run
 * history sorts by `createdAt` instead.
 */
export function plannedRunId(version: string, integrationId: string, attempt: number): string {
  const digest = createHash("sha256").update(`stackfleet-run\0${version}\0${integrationId}\0${attempt}`).digest();
  let value = BigInt(`0x${digest.subarray(0, 17).toString("hex")}`) >> 6n; // 136 bits → 130
  let out = "";
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return `run_${out}`;
}
