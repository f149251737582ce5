import { DescribeStackEventsCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import type { ReliabilityFixture } from "./harness";

/** What the stack's registration function posts on an update, rebuilt from the live stack's outputs. */
export async function callbackOf(rf: ReliabilityFixture, integration: IntegrationRecord) {
  const { Stacks } = await rf
    .cfnFor(integration.accountId, integration.region)
    .send(new DescribeStacksCommand({ StackName: integration.stackName }));
  const stack = Stacks![0]!;
  const output = (key: string) => stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const enabled = stack.Parameters?.find((p) => p.ParameterKey === "EnableAutoUpdate")?.ParameterValue !== "false";
  return {
    requestType: "Update",
    requestId: `replay-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    externalId: integration.externalId,
    accountId: integration.accountId,
    region: integration.region,
    integrationRoleArn: output("IntegrationRoleArn"),
    updateRoleArn: output("UpdateRoleArn") ?? null,
    serviceRoleArn: output("CloudFormationServiceRoleArn") ?? null,
    stackId: stack.StackId,
    stackName: stack.StackName,
    templateVersion: output("TemplateVersion"),
    enableAutoUpdate: enabled,
  };
}

/** The registration callback replayed through the real API, as CloudFormation or a retry would. */
export const replayCallback = async (rf: ReliabilityFixture, integration: IntegrationRecord) =>
  rf.stack.api("POST", "/v1/callbacks/registration", undefined, await callbackOf(rf, integration));

/** Why a stack's create failed, as its events say (the first resource that failed), for a report. */
export async function createFailureOf(rf: ReliabilityFixture, accountId: string, region: string, stackId: string) {
  const { StackEvents } = await rf
    .cfnFor(accountId, region)
    .send(new DescribeStackEventsCommand({ StackName: stackId }));
  const failed = (StackEvents ?? []).filter((e) => e.ResourceStatus === "CREATE_FAILED").at(-1);
  return failed ? `${failed.LogicalResourceId}: ${failed.ResourceStatusReason}` : "no resource failed";
}
