import type { AnnounceConfig } from "@stackfleet/core/config";
import { createDocumentClient } from "@stackfleet/core/db/client";
import { type Announcement, announceImages } from "@stackfleet/core/updater/announce";
import type { UpdaterStore } from "@stackfleet/core/updater/store";
import { z } from "zod";
import type { TableAdapters } from "./core";

/** The part of a DynamoDB Streams batch the announcer reads: each record's new image, in wire form. */
const StreamBatch = z.object({
  Records: z.array(z.object({ dynamodb: z.object({ NewImage: z.record(z.string(), z.any()).optional() }).optional() })),
});

/** The announcer over the updater's own table; the main table's stream is its only input. */
export function wireAnnounce(config: AnnounceConfig, adapters: TableAdapters = {}) {
  const store: UpdaterStore = {
    client: adapters.documentClient ?? createDocumentClient(),
    tableName: config.updaterTable,
    now: adapters.now ?? (() => new Date()),
  };
  return {
    store,
    /** Throws on a batch that is not a stream batch: Lambda retries it rather than lose an announcement. */
    handle: async (event: unknown): Promise<Announcement[]> => {
      const { Records } = StreamBatch.parse(event);
      return announceImages(
        store,
        Records.flatMap((r) => (r.dynamodb?.NewImage ? [r.dynamodb.NewImage] : [])),
      );
    },
  };
}
