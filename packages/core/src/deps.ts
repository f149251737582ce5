import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "./context";
import { createService } from "./db/service";
import { ulidIds } from "./id";

/** Real-world dependencies: the wall clock, ULIDs, and the service over `tableName`. */
export function createDeps(client: DynamoDBDocumentClient, tableName: string): Deps & { tableName: string } {
  const now = () => new Date();
  return { service: createService(client, tableName), now, newId: ulidIds(now), tableName };
}
