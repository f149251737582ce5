import { randomUUID } from "node:crypto";
import { DynamoDBClient, ScanCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
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

/** Every item in a table, unmarshalled, with consistent reads (page after page). */
export async function scanTable(client: DynamoDBClient, tableName: string): Promise<Array<Record<string, any>>> {
  const items: Array<Record<string, any>> = [];
  let start: Record<string, any> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []).map((item) => unmarshall(item)));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The whole test table in a stable order (pk, then sk): what "the table is unchanged" compares. */
export async function tableSnapshot(
  store: Pick<TestStore, "client" | "tableName">,
): Promise<Array<Record<string, any>>> {
  const items = await scanTable(store.client, store.tableName);
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`));
}
