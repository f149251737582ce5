import { keyAttributes, tableSchema } from "@stackfleet/core/db/table";
import { permanent, updaterCoordinates } from "./config";
import { executorTableActions, tableResources } from "./policy";

/** The single table, declared from the same contract the local runtime and the tests use. */
export const table = new sst.aws.Dynamo("Table", {
  fields: Object.fromEntries(keyAttributes().map((name) => [name, "string" as const])),
  primaryIndex: { hashKey: tableSchema.partitionKey, rangeKey: tableSchema.sortKey },
  globalIndexes: Object.fromEntries(
    Object.entries(tableSchema.globalIndexes).map(([name, index]) => [
      name,
      { hashKey: index.partitionKey, rangeKey: index.sortKey },
    ]),
  ),
  ttl: tableSchema.ttlAttribute,
  // The updater's announcer reads version items from it (infra/updater-state.ts): first-seen times.
  stream: "new-image",
  deletionProtection: permanent,
  transform: {
    // SST enables PITR today; stating it keeps the audit trail recoverable if that default changes.
    table: { pointInTimeRecovery: { enabled: true } },
  },
});

const updater = updaterCoordinates();

// The executor's own identity policy is not enough when the updater stage is another account:
// cross-account DynamoDB access also needs the table to name the executor role (and the executor
// then addresses the table by ARN). Same-account deploys get the identical, redundant grant.
if (updater) {
  new aws.dynamodb.ResourcePolicy("TableExecutorAccess", {
    resourceArn: table.arn,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: updater.executorRoleArn },
          Action: executorTableActions,
          Resource: tableResources(table.arn),
        },
      ],
    }),
  });
}

// The updater's announcer reads this table's stream from its own account (Lambda consumes a
// stream across accounts when the stream's resource policy names the consumer's role): read only.
if (updater?.announceRoleArn) {
  new aws.dynamodb.ResourcePolicy("StreamAnnounceAccess", {
    resourceArn: table.nodes.table.streamArn,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: updater.announceRoleArn },
          Action: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
          Resource: table.nodes.table.streamArn,
        },
      ],
    }),
  });
}
