import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "./context";
import { ulidIds } from "./id";
import { createService } from "./store/service";

/** Real-world dependencies: the wall clock, ULIDs, and the service over `tableName`. */
export function createDeps(client: DynamoDBDocumentClient, tableName: string): Deps & { tableName: string } {
  const now = () => new Date();
  return { service: createService(client, tableName), now, newId: ulidIds(now), tableName };
}
