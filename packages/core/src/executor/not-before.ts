import { getBySequence, type VersionRecord } from "../version/version";
import type { Delivery } from "./context";

/**
 * The signed not-before, read ahead of verification only to decide "later": a delivery before it
 * (a schedule fired early, a clock behind, an operator re-firing) is deferred to it and never
 * claimed, so it cannot count against the wave's tolerance. Acting still needs the full
 * verification after the claim; bytes that do not parse here are left for it to refuse.
 */
export async function notYet(delivery: Delivery): Promise<{ version: VersionRecord; retryAt?: Date }> {
  const version = delivery.version ?? (await getBySequence(delivery.deps, delivery.run.sequence));
  const notBefore = signedNotBefore(version.manifest);
  const now = delivery.deps.now();
  return notBefore && notBefore.getTime() > now.getTime() ? { version, retryAt: notBefore } : { version };
}

function signedNotBefore(manifestBase64: string): Date | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(manifestBase64, "base64").toString("utf8")) as { notBefore?: unknown };
    const at = typeof parsed.notBefore === "string" ? new Date(parsed.notBefore) : undefined;
    return at && Number.isFinite(at.getTime()) ? at : undefined;
  } catch {
    return undefined;
  }
}
