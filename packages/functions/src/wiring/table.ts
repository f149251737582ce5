import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "@stackfleet/core/context";
import { createDocumentClient } from "@stackfleet/core/db/client";
import type { StackfleetService } from "@stackfleet/core/db/service";
import { ulidIds } from "@stackfleet/core/id";

/** What the table side of every function is built from; the local runtime points it at DynamoDB Local. */
export interface TableAdapters {
  documentClient?: DynamoDBDocumentClient;
  /** The wall clock in AWS; the sandbox's (possibly manual) clock locally. */
  now?: () => Date;
}

/**
 * Core's `Deps` over `tableName` with the given service builder: ElectroDB's Service (wiring/core.ts)
 * or the executor's lean one. Imports neither, so the executor's bundle carries only its own.
 */
export function wireTable(
  tableName: string,
  adapters: TableAdapters,
  makeService: (client: DynamoDBDocumentClient, table: string) => StackfleetService,
): Deps & { tableName: string } {
  const now = adapters.now ?? (() => new Date());
  const service = makeService(adapters.documentClient ?? createDocumentClient(), tableName);
  return { service, now, newId: ulidIds(now), tableName };
}
