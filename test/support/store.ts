import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "@stackfleet/core/context";
import { ensureTable } from "@stackfleet/core/db/create-table";
import { createService } from "@stackfleet/core/db/service";
import { ulidIds } from "@stackfleet/core/id";
import { inject } from "vitest";

/** A clock tests move by hand. */
export class ManualClock {
  constructor(private current = new Date("2026-11-21T12:00:00.000Z")) {}
  now = (): Date => new Date(this.current);
  set(to: Date | string): void {
    this.current = new Date(to);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestStore extends Deps {
  clock: ManualClock;
  client: DynamoDBClient;
  documentClient: DynamoDBDocumentClient;
  tableName: string;
}

/**
 * A fresh table in the run's DynamoDB Local (started by test/setup/dynamodb.ts). Refuses any
 * endpoint that is not loopback, so a test can never write to a real AWS table.
 */
export async function createTestStore(): Promise<TestStore> {
  const endpoint = inject("dynamoEndpoint");
  const host = new URL(endpoint).hostname;
  if (host !== "127.0.0.1" && host !== "localhost") throw new Error(`Refusing non-local DynamoDB endpoint ${endpoint}`);
  const client = new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const documentClient = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const tableName = `test-${randomUUID()}`;
  await ensureTable(client, tableName);
  const clock = new ManualClock();
  return {
    service: createService(documentClient, tableName),
    now: clock.now,
    newId: ulidIds(clock.now),
    clock,
    client,
    documentClient,
    tableName,
  };
}
