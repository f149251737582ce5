import { createHash } from "node:crypto";
import { inputError } from "../error";

/**
 * Where published template bytes live, addressed by their SHA-256. A store returns the bytes it
 * was given and nothing more: whether they are trustworthy is `verifyRelease`'s job.
 */
export interface TemplateStore {
  /** Idempotent: putting the same bytes twice yields the same address. */
  put(bytes: Uint8Array): Promise<{ sha256: string; location: string }>;
  /** Throws `not_found` / `template_not_found` when nothing is stored under `sha256`. */
  get(sha256: string): Promise<Uint8Array>;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** The address doubles as a file name or object key, so nothing but 64 lowercase hex digits. */
export function assertSha256(sha256: string): void {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw inputError("sha256_invalid", "Expected 64 lowercase hex digits");
}
