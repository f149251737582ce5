import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { type AnnouncedVersion, announcedVersions, versionDigest } from "./digest";
import { recordFirstSeen, type UpdaterStore } from "./store";

export interface Announcement {
  version: string;
  digest: string;
  firstSeenAt: Date;
}

/**
 * The updater learns of published versions: each version item written to the main table is
 * recorded as first seen now, by the updater's clock (the first time wins). Nothing the item
 * says about time is read, so a version written by a compromised API still waits the full floor.
 */
export async function announce(store: UpdaterStore, items: readonly unknown[]): Promise<Announcement[]> {
  const announced: Announcement[] = [];
  for (const item of announcedVersions(items)) announced.push(await announceOne(store, item));
  return announced;
}

async function announceOne(store: UpdaterStore, item: AnnouncedVersion): Promise<Announcement> {
  const digest = versionDigest(item.templateSha256, Buffer.from(item.manifest, "base64"));
  return { version: item.version, digest, firstSeenAt: await recordFirstSeen(store, digest, item.version) };
}

/** Items in DynamoDB's wire form, as a stream record's `NewImage` or a write request carries them. */
export function announceImages(
  store: UpdaterStore,
  images: readonly Record<string, AttributeValue>[],
): Promise<Announcement[]> {
  return announce(store, versionImages(images));
}

/** The version items among wire-form images. */
export const versionImages = (images: readonly Record<string, AttributeValue>[]): AnnouncedVersion[] =>
  announcedVersions(images.map((image) => unmarshall(image)));
