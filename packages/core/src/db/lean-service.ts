import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createGetTransaction, createWriteTransaction } from "electrodb/src/transaction";
import { createExecutorEntities } from "./entities";
import type { StackfleetService } from "./service";

/**
 * The service as the executor uses it, without ElectroDB's Service class: the same entities (but
 * the callback refusals and changelog pairs, which it never touches: test/bundle.test.ts), and
 * transactions through ElectroDB's own `createWriteTransaction`/`createGetTransaction` — what the
 * Service's `transaction.write/get` call with its entities — so every item is built, sent and its
 * cancellation read exactly as before (test/lean-service.test.ts compares the two). The Service
 * class only adds collections (the API's integration detail) and join checks, and is ~20 KiB of
 * the executor's Lambda bundle, which has a 300 KiB budget (test/bundle.test.ts).
 */
export function createLeanService(client: DynamoDBDocumentClient, table: string): StackfleetService {
  // Typed as the Service's: the two entities left out are never named in the executor's bundle.
  const entities = createExecutorEntities(client, table) as StackfleetService["entities"];
  const transaction: StackfleetService["transaction"] = {
    write: (fn) => createWriteTransaction(entities, fn),
    get: (fn) => createGetTransaction(entities, fn),
  };
  const lean = {
    entities,
    transaction,
    // Collections are the Service's: a read of one here is a bug to surface, not to answer empty.
    get collections(): never {
      throw new Error("collections need ElectroDB's Service (db/service.ts); the lean service has none");
    },
  };
  return lean as unknown as StackfleetService;
}
