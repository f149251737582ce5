import { Logger } from "@aws-lambda-powertools/logger";
import { AnnounceConfig, fromEnv } from "@stackfleet/core/config";
import { wireAnnounce } from "./wiring/announce";

const logger = new Logger({ serviceName: "stackfleet-announce" });
const { handle } = wireAnnounce(fromEnv(AnnounceConfig));

/** The main table's stream, filtered to version items by the event source mapping (infra/updater-state.ts). */
export async function handler(event: unknown) {
  const announced = await handle(event);
  for (const a of announced)
    logger.info("version announced", {
      version: a.version,
      digest: a.digest,
      firstSeenAt: a.firstSeenAt.toISOString(),
    });
  return { announced: announced.length };
}
