import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { ConflictException, CreateScheduleGroupCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { ensureTable } from "@stackfleet/core/db/create-table";
import type { Log } from "@stackfleet/core/log";
import { announceImages } from "@stackfleet/core/updater/announce";
import { ensureUpdaterTable } from "@stackfleet/core/updater/create-table";
import type { UpdaterStore } from "@stackfleet/core/updater/store";
import type { Sandbox, SandboxAccount } from "@stackfleet/sandbox/index";
import { localTableStream } from "./dev/version-stream";

/** Local stand-ins for what the updater stage would be in AWS (names only; the sandbox resolves them). */
export const LOCAL = {
  region: "us-east-1",
  executorRoleName: "stackfleet-local-executor",
  // Quick-create links need an https S3 URL; the sandbox resolves this one from the local store.
  templateBaseUrl: "https://stackfleet-local-templates.s3.us-east-1.amazonaws.com/templates",
};

export const localSchedule = (updaterAccountId: string) => ({
  groupName: "stackfleet",
  executorArn: `arn:aws:lambda:${LOCAL.region}:${updaterAccountId}:function:stackfleet-local-executor`,
  schedulerRoleArn: `arn:aws:iam::${updaterAccountId}:role/stackfleet-local-scheduler`,
  deadLetterArn: `arn:aws:sqs:${LOCAL.region}:${updaterAccountId}:stackfleet-local-dlq`,
});

export type LocalSchedule = ReturnType<typeof localSchedule>;

export interface LocalTables {
  dynamo: DynamoDBClient;
  table: { documentClient: DynamoDBDocumentClient; now: () => Date };
  updaterTable: string;
  updater: UpdaterStore;
  stream: ReturnType<typeof localTableStream>;
}

/**
 * The main table on DynamoDB Local, the updater's own table, and the stand-in for the main table's
 * stream that announces versions to it.
 */
export async function startLocalTables(
  endpoint: string,
  tableName: string,
  now: () => Date,
  log: Log,
): Promise<LocalTables> {
  const dynamo = new DynamoDBClient({
    endpoint,
    region: "local",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  await ensureTable(dynamo, tableName);
  const updaterTable = `${tableName}-updater`;
  await ensureUpdaterTable(dynamo, updaterTable);
  const table = {
    documentClient: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    now,
  };
  const updater: UpdaterStore = { client: table.documentClient, tableName: updaterTable, now };
  const stream = localTableStream(dynamo, tableName, (error) =>
    log.error("a consumer of the local table stream failed", { error: (error as Error).message }),
  );
  stream.subscribe((images) => announceImages(updater, images));
  return { dynamo, table, updaterTable, updater, stream };
}

/** The updater account's Scheduler in the sandbox, with the schedule group `sst deploy` would create. */
export async function localSchedulerClient(
  sandbox: Sandbox,
  updater: SandboxAccount,
  groupName: string,
): Promise<SchedulerClient> {
  const client = new SchedulerClient({ ...sandbox.clientConfig(updater, LOCAL.region), maxAttempts: 1 });
  await client.send(new CreateScheduleGroupCommand({ Name: groupName })).catch((e) => {
    if (!(e instanceof ConflictException)) throw e;
  });
  return client;
}
