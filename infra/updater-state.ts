import { UPDATER_KEYS, updaterTableSchema } from "@stackfleet/core/updater/table";
import { optional, permanent } from "./config";
import type { Statement } from "./policy";
import { liveAllowed, restrictTrust } from "./trust";

/**
 * The updater's own state (README "Updater-owned state"): when it first learned of each version
 * digest, the highest version it applied per integration, and the security team's emergency stop.
 * Only principals of this stage write here; the main stage — the API above all — has no grant.
 */
export const updaterState = new sst.aws.Dynamo("UpdaterState", {
  fields: { [updaterTableSchema.partitionKey]: "string" },
  primaryIndex: { hashKey: updaterTableSchema.partitionKey },
  deletionProtection: permanent,
  transform: { table: { pointInTimeRecovery: { enabled: true } } },
});

const leadingKeys = (test: string, values: string[]) => ({ test, variable: "dynamodb:LeadingKeys", values });

/**
 * The executor and the announcer: read everything (the stop included), write first-seen and
 * high-water items only — never the stop, which is the security team's alone.
 */
export function updaterStateAccess(): Statement[] {
  return [
    { actions: ["dynamodb:GetItem", "dynamodb:BatchGetItem"], resources: [updaterState.arn] },
    {
      actions: ["dynamodb:PutItem", "dynamodb:UpdateItem"],
      resources: [updaterState.arn],
      conditions: [
        leadingKeys("ForAllValues:StringLike", [
          `${UPDATER_KEYS.firstSeenPrefix}*`,
          `${UPDATER_KEYS.highWaterPrefix}*`,
        ]),
      ],
    },
  ];
}

/**
 * Who may set and lift the emergency stop: the security team, assuming this role. Configure the
 * principals with `STACKFLEET_SECURITY_TEAM_PRINCIPALS` (comma-separated role/user ARNs); unset,
 * only this account's administrators can assume it (they own the executor's account anyway).
 */
const securityPrincipals = optional("STACKFLEET_SECURITY_TEAM_PRINCIPALS")
  ?.split(",")
  .map((p) => p.trim())
  .filter(Boolean);

export const securityTeamRole = new aws.iam.Role("SecurityTeamRole", {
  assumeRolePolicy: aws.iam.getPolicyDocumentOutput({
    statements: [
      {
        actions: ["sts:AssumeRole"],
        principals: [
          {
            type: "AWS",
            identifiers: securityPrincipals ?? [
              $interpolate`arn:aws:iam::${aws.getCallerIdentityOutput().accountId}:root`,
            ],
          },
        ],
      },
    ],
  }).json,
  inlinePolicies: [
    {
      name: "emergency-stop",
      policy: aws.iam.getPolicyDocumentOutput({
        statements: [
          {
            actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
            resources: [updaterState.arn],
            conditions: [leadingKeys("ForAllValues:StringEquals", [UPDATER_KEYS.emergencyStop])],
          },
        ],
      }).json,
    },
  ],
});

/**
 * Publishing announces a version through the main table's stream, filtered to version items: the
 * announcer records first seen = its own clock. Without the stream (first deploy, or not wired)
 * the executor records first seen when it first meets the version, and waits the full floor then.
 */
const mainTableStreamArn = optional("STACKFLEET_MAIN_TABLE_STREAM_ARN");

export const announcer = new sst.aws.Function("Announce", {
  handler: "packages/functions/src/announce.handler",
  runtime: "nodejs22.x",
  timeout: "30 seconds",
  dev: liveAllowed ? undefined : false,
  permissions: [
    ...updaterStateAccess(),
    ...(mainTableStreamArn
      ? [
          {
            actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
            resources: [mainTableStreamArn],
          },
          { actions: ["dynamodb:ListStreams"], resources: ["*"] },
        ]
      : []),
  ],
  environment: { STACKFLEET_UPDATER_TABLE: updaterState.name },
  transform: {
    role: (args) => {
      restrictTrust(args);
    },
  },
});

if (mainTableStreamArn) {
  new aws.lambda.EventSourceMapping("AnnounceVersions", {
    eventSourceArn: mainTableStreamArn,
    functionName: announcer.name,
    startingPosition: "TRIM_HORIZON",
    // ElectroDB marks every item with its entity: only version items wake the announcer.
    filterCriteria: {
      filters: [{ pattern: JSON.stringify({ dynamodb: { NewImage: { __edb_e__: { S: ["version"] } } } }) }],
    },
  });
}
