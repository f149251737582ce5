import { createHash } from "node:crypto";
import * as z from "../zod-mini";

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * What identifies a version to the updater: the template's sha256 and the sha256 of the exact
 * signed manifest bytes. Republishing other bytes or another manifest under the same version
 * number is a new digest, met for the first time and waiting the full floor again.
 */
export function versionDigest(templateSha256: string, manifestBytes: Uint8Array): string {
  if (!SHA256_HEX.test(templateSha256)) throw new Error("template sha256 must be lowercase hex");
  return `${templateSha256}.${createHash("sha256").update(manifestBytes).digest("hex")}`;
}

/** A version item as the main table holds it (a stream image or a local write), reduced to what announcing needs. */
export const AnnouncedVersion = z.object({
  __edb_e__: z.literal("version"),
  version: z.string().check(z.minLength(1), z.maxLength(256)),
  templateSha256: z.string().check(z.regex(SHA256_HEX)),
  /** base64 of the signed manifest bytes. */
  manifest: z.base64().check(z.minLength(1), z.maxLength(8_000)),
});
export type AnnouncedVersion = z.infer<typeof AnnouncedVersion>;

/** Version items among arbitrary main-table items; anything else (runs, events, …) is ignored. */
export function announcedVersions(items: readonly unknown[]): AnnouncedVersion[] {
  return items.flatMap((item) => {
    const parsed = AnnouncedVersion.safeParse(item);
    return parsed.success ? [parsed.data] : [];
  });
}
