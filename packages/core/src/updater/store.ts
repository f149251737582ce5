import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { isConditionFailure } from "../db/transaction";
import * as z from "../zod-mini";
import { firstSeenKey, highWaterKey, UPDATER_KEYS, updaterTableSchema } from "./table";

/**
 * The updater's own state, in a table only the updater stage writes (the API role has no grant
 * on it at all). Separate from the core `Deps`: the main table is the API's, this one is not.
 */
export interface UpdaterStore {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** The updater's own clock: first-seen times are never taken from anything the API wrote. */
  now(): Date;
}

const PK = updaterTableSchema.partitionKey;

const FirstSeen = z.object({ firstSeenAt: z.isoDateTime(), version: z.optional(z.string()) });
const HighWater = z.object({ sequence: z.number().check(z.int(), z.positive()), version: z.string() });
const EmergencyStop = z.object({ reason: z._default(z.string(), ""), setBy: z._default(z.string(), "unknown") });
export type EmergencyStop = z.infer<typeof EmergencyStop>;

/** Everything the executor's floor reads, in one request. */
export interface FloorState {
  /** Undefined: the updater never heard of this digest. */
  firstSeenAt: Date | undefined;
  highWater: z.infer<typeof HighWater> | undefined;
  stop: EmergencyStop | undefined;
}

export async function readFloorState(store: UpdaterStore, digest: string, integrationId: string): Promise<FloorState> {
  const keys = [firstSeenKey(digest), highWaterKey(integrationId), UPDATER_KEYS.emergencyStop];
  const { Responses, UnprocessedKeys } = await store.client.send(
    new BatchGetCommand({
      RequestItems: { [store.tableName]: { Keys: keys.map((pk) => ({ [PK]: pk })), ConsistentRead: true } },
    }),
  );
  // Three small items never exceed BatchGet's limits; unprocessed keys mean throttling: fail, retry later.
  if (Object.keys(UnprocessedKeys ?? {}).length > 0) throw new Error("updater state read was throttled");
  const items = new Map((Responses?.[store.tableName] ?? []).map((item) => [item[PK] as string, item]));
  const seen = items.get(keys[0]!);
  const high = items.get(keys[1]!);
  const stop = items.get(keys[2]!);
  return {
    firstSeenAt: seen ? new Date(FirstSeen.parse(seen).firstSeenAt) : undefined,
    highWater: high ? HighWater.parse(high) : undefined,
    stop: stop ? EmergencyStop.parse(stop) : undefined,
  };
}

/**
 * Records that the updater learned of `digest` now, unless it already had: the first time wins
 * and can never be moved earlier. Returns the first-seen time in force.
 */
export async function recordFirstSeen(store: UpdaterStore, digest: string, version?: string): Promise<Date> {
  const now = store.now();
  try {
    await store.client.send(
      new PutCommand({
        TableName: store.tableName,
        Item: { [PK]: firstSeenKey(digest), firstSeenAt: now.toISOString(), ...(version ? { version } : {}) },
        ConditionExpression: "attribute_not_exists(#pk)",
        ExpressionAttributeNames: { "#pk": PK },
      }),
    );
    return now;
  } catch (e) {
    if (!isConditionFailure(e)) throw e;
    const { Item } = await store.client.send(
      new GetCommand({ TableName: store.tableName, Key: { [PK]: firstSeenKey(digest) }, ConsistentRead: true }),
    );
    return new Date(FirstSeen.parse(Item).firstSeenAt);
  }
}

/** Raises the integration's high-water mark to `sequence`; never lowers it. */
export async function raiseHighWater(
  store: UpdaterStore,
  integrationId: string,
  mark: { sequence: number; version: string },
): Promise<void> {
  try {
    await store.client.send(
      new UpdateCommand({
        TableName: store.tableName,
        Key: { [PK]: highWaterKey(integrationId) },
        UpdateExpression: "SET #seq = :seq, #version = :version, #at = :at",
        ConditionExpression: "attribute_not_exists(#seq) OR #seq < :seq",
        ExpressionAttributeNames: { "#seq": "sequence", "#version": "version", "#at": "appliedAt" },
        ExpressionAttributeValues: {
          ":seq": mark.sequence,
          ":version": mark.version,
          ":at": store.now().toISOString(),
        },
      }),
    );
  } catch (e) {
    // Already at or above: a second delivery of the same success, or an older run finishing late.
    if (!isConditionFailure(e)) throw e;
  }
}

/**
 * The security team's switch. In AWS only the security-team role can write this key (IAM
 * `dynamodb:LeadingKeys`); these two serve the local runtime and tests, which have no IAM.
 */
export async function setEmergencyStop(store: UpdaterStore, stop: { reason: string; setBy: string }): Promise<void> {
  await store.client.send(
    new PutCommand({
      TableName: store.tableName,
      Item: { [PK]: UPDATER_KEYS.emergencyStop, ...stop, setAt: store.now().toISOString() },
    }),
  );
}

export async function liftEmergencyStop(store: UpdaterStore): Promise<void> {
  await store.client.send(new DeleteCommand({ TableName: store.tableName, Key: { [PK]: UPDATER_KEYS.emergencyStop } }));
}

export async function readEmergencyStop(store: UpdaterStore): Promise<EmergencyStop | undefined> {
  const { Item } = await store.client.send(
    new GetCommand({ TableName: store.tableName, Key: { [PK]: UPDATER_KEYS.emergencyStop }, ConsistentRead: true }),
  );
  return Item ? EmergencyStop.parse(Item) : undefined;
}
