import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Service } from "electrodb";
import { createEntities } from "./entities";

/**
 * One ElectroDB service over the one table. Built per (client, table) rather than as module
 * singletons so tests and the local runtime can each point it at their own table.
 */
export function createService(client: DynamoDBDocumentClient, table: string) {
  return new Service(createEntities(client, table), { client, table });
}

export type StackfleetService = ReturnType<typeof createService>;
export type Entities = StackfleetService["entities"];

/** The entities as a `transaction.write` callback receives them. */
export type TransactionEntities = Parameters<Parameters<StackfleetService["transaction"]["write"]>[0]>[0];
