import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createIfMissing } from "../db/create-table";
import { updaterTableSchema } from "./table";

/** Creates the updater table when it is missing (DynamoDB Local only; infra declares it in AWS). */
export const ensureUpdaterTable = (client: DynamoDBClient, tableName: string): Promise<boolean> =>
  createIfMissing(client, {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: updaterTableSchema.partitionKey, AttributeType: "S" }],
    KeySchema: [{ AttributeName: updaterTableSchema.partitionKey, KeyType: "HASH" }],
  });
