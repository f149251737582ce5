import type {
  Capability,
  CloudFormationClient,
  DescribeChangeSetCommandOutput,
  Parameter,
} from "@aws-sdk/client-cloudformation";

import { LOGICAL } from "../template/customer/policies";
import type { Manifest } from "../version/manifest";
import { PROTECTED_PARAMETERS } from "../version/manifest";

/** The command classes, loaded with the client by CustomerAccess.open rather than at cold start. */
const commands = () => import("@aws-sdk/client-cloudformation");

/** Change set names and tokens: `[a-zA-Z][-a-zA-Z0-9]*`; the run id makes every retry distinct. */
export const tokenFor = (runId: string) => `stackfleet-${runId.replace(/[^a-zA-Z0-9-]/g, "-")}`;

/**
 * Every parameter the live stack has keeps its value (`UsePreviousValue`) — forgetting one would
 * silently reset it to the template default, e.g. re-enable updates or break the ExternalId
 * trust. Only parameters the signed manifest lets this version set, and parameters new in this
 * template (AWS refuses UsePreviousValue for those), take the template's default.
 */
export function parametersFor(
  templateParameters: string[],
  live: Map<string, string | undefined>,
  manifest: Pick<Manifest, "parameters">,
): Parameter[] {
  return templateParameters
    .filter((name) => live.has(name) && (PROTECTED_PARAMETERS.includes(name) || !manifest.parameters.includes(name)))
    .map((name) => ({ ParameterKey: name, UsePreviousValue: true }));
}

export interface ChangeSetRequest {
  stackName: string;
  runId: string;
  templateBody: string;
  parameters: Parameter[];
  capabilities: string[];
  serviceRoleArn: string;
}

export async function createChangeSet(cfn: CloudFormationClient, request: ChangeSetRequest): Promise<string> {
  const { CreateChangeSetCommand } = await commands();
  const token = tokenFor(request.runId);
  const { Id } = await cfn.send(
    new CreateChangeSetCommand({
      StackName: request.stackName,
      ChangeSetName: token,
      ChangeSetType: "UPDATE",
      TemplateBody: request.templateBody,
      Parameters: request.parameters,
      Capabilities: request.capabilities as Capability[],
      RoleARN: request.serviceRoleArn,
      ClientToken: token,
      Description: `Stackfleet run ${request.runId}`,
    }),
  );
  return Id ?? token;
}

export type ChangeSetState =
  | { kind: "ready"; changeSet: DescribeChangeSetCommandOutput }
  | { kind: "no_changes" }
  | { kind: "failed"; reason: string }
  | { kind: "pending" };

const NO_CHANGES = /didn't contain changes|No updates are to be performed/i;

export async function describeChangeSet(
  cfn: CloudFormationClient,
  stackName: string,
  changeSetId: string,
): Promise<ChangeSetState> {
  const { DescribeChangeSetCommand } = await commands();
  const changeSet = await cfn.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetId }));
  if (changeSet.Status === "CREATE_COMPLETE") return { kind: "ready", changeSet };
  if (changeSet.Status === "FAILED") {
    return NO_CHANGES.test(changeSet.StatusReason ?? "")
      ? { kind: "no_changes" }
      : { kind: "failed", reason: changeSet.StatusReason ?? "change set failed" };
  }
  return { kind: "pending" };
}

const PROTECTED_RESOURCES: readonly string[] = [LOGICAL.updateRole, LOGICAL.serviceRole];

/**
 * A change set that would delete or replace the update role or the service role could lock us
 * (and the customer's own stack updates) out mid-flight: refuse it, whoever signed it.
 */
export function dangerousChanges(changeSet: DescribeChangeSetCommandOutput): string[] {
  return (changeSet.Changes ?? [])
    .map((c) => c.ResourceChange)
    .filter(
      (r) =>
        r &&
        PROTECTED_RESOURCES.includes(r.LogicalResourceId ?? "") &&
        (r.Action === "Remove" || r.Replacement === "True" || r.Replacement === "Conditional"),
    )
    .map((r) => `${r!.Action === "Remove" ? "deletes" : "replaces"} ${r!.LogicalResourceId}`);
}

export async function executeChangeSet(
  cfn: CloudFormationClient,
  stackName: string,
  changeSetId: string,
  runId: string,
): Promise<void> {
  const { ExecuteChangeSetCommand } = await commands();
  await cfn.send(
    new ExecuteChangeSetCommand({
      StackName: stackName,
      ChangeSetName: changeSetId,
      ClientRequestToken: tokenFor(runId),
    }),
  );
}

/** Best effort: a leftover change set is harmless, and AWS deletes failed ones eventually. */
export async function deleteChangeSet(
  cfn: CloudFormationClient,
  stackName: string,
  changeSetId: string,
): Promise<void> {
  const { DeleteChangeSetCommand } = await commands();
  await cfn
    .send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetId }))
    .catch(() => undefined);
}
