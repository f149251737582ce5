import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "@stackfleet/core/context";
import { createDocumentClient } from "@stackfleet/core/db/client";
import { createService } from "@stackfleet/core/db/service";
import { ulidIds } from "@stackfleet/core/id";

/** What the table side of every function is built from; the local runtime points it at DynamoDB Local. */
export interface TableAdapters {
  documentClient?: DynamoDBDocumentClient;
  /** The wall clock in AWS; the sandbox's (possibly manual) clock locally. */
  now?: () => Date;
}

/** Core's `Deps` over `tableName`: the service, the clock, prefixed ULIDs. */
export function wireCore(tableName: string, adapters: TableAdapters = {}): Deps & { tableName: string } {
  const now = adapters.now ?? (() => new Date());
  const service = createService(adapters.documentClient ?? createDocumentClient(), tableName);
  return { service, now, newId: ulidIds(now), tableName };
}
