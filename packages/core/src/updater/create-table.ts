import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
} from "@aws-sdk/client-dynamodb";
import { updaterTableSchema } from "./table";

/** Creates the updater table when it is missing (DynamoDB Local only; infra declares it in AWS). */
export async function ensureUpdaterTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (e) {
    if (!(e instanceof ResourceNotFoundException)) throw e;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: updaterTableSchema.partitionKey, AttributeType: "S" }],
        KeySchema: [{ AttributeName: updaterTableSchema.partitionKey, KeyType: "HASH" }],
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof ResourceInUseException) return false;
    throw e;
  }
}
