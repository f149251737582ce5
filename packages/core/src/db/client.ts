import { DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/**
 * The DynamoDB document client core uses. `endpoint` points it at DynamoDB Local; in AWS it is
 * left unset. Removing undefined values matters: ElectroDB sends optional attributes as-is.
 * Without a `logger` the SDK's logger middleware goes: it logs nothing by default, yet it walks
 * every request and response to mask sensitive fields first, ≈ 10 % of a read's client CPU.
 */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient(config);
  if (!config.logger) client.middlewareStack.remove("loggerMiddleware");
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
}
