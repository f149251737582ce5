import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";

type Item = Record<string, AttributeValue>;
type WriteInput = {
  TableName?: string;
  Item?: Item;
  TransactItems?: { Put?: { TableName?: string; Item?: Item } }[];
  RequestItems?: Record<string, { PutRequest?: { Item?: Item } }[]>;
};

export type StreamConsumer = (images: Item[]) => Promise<unknown>;

/**
 * The local stand-in for the main table's DynamoDB Stream in AWS (infra/updater-state.ts): every
 * item put through `client` into `tableName` — by the API, the planner, tests — is handed to each
 * consumer, in process, once the write succeeded, in DynamoDB's wire form as a stream's
 * `NewImage`. Items written by other clients are not seen: the executor then meets such a version
 * first at execution time and waits the full floor from then.
 */
export function localTableStream(client: DynamoDBClient, tableName: string, onError: (error: unknown) => void) {
  const consumers: StreamConsumer[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const items = putItems(args.input as WriteInput, tableName);
      // A consumer's failure never fails the write it follows.
      for (const consume of items.length > 0 ? consumers : [])
        await Promise.resolve(items).then(consume).catch(onError);
      return result;
    },
    // Serialize, not initialize: by then the document client has marshalled the input to wire form.
    { step: "serialize", name: "stackfleetLocalTableStream" },
  );
  return { subscribe: (consumer: StreamConsumer) => void consumers.push(consumer) };
}

function putItems(input: WriteInput, tableName: string): Item[] {
  const items: Item[] = [];
  if (input.TableName === tableName && input.Item) items.push(input.Item);
  for (const { Put } of input.TransactItems ?? []) if (Put?.TableName === tableName && Put.Item) items.push(Put.Item);
  // BatchGetItem also has RequestItems (an object of Keys, not a list of writes): only writes count.
  const writes = input.RequestItems?.[tableName];
  if (Array.isArray(writes)) for (const { PutRequest } of writes) if (PutRequest?.Item) items.push(PutRequest.Item);
  return items;
}
