import {
  CloudFormationClient,
  type CloudFormationClientConfig,
  DescribeStacksCommand,
  GetTemplateCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import type { STSClient } from "@aws-sdk/client-sts";
import { AUTO_UPDATE_PARAMETER } from "../customer-stack/contract";
import { isStackfleetError } from "../error";
import { parseTemplate } from "../template/parse";
import { assumeRole } from "./assume";

/** What the customer's stack really is, read through the integration role. */
export interface LiveStack {
  stackId: string;
  status: string;
  /** When CloudFormation last started an operation on it: LastUpdatedTime, else CreationTime. */
  operationAt: Date;
  /**
   * The `TemplateVersion` output of the template the stack runs — or is being updated to: during
   * an update DescribeStacks still shows the old outputs, GetTemplate already the new template.
   */
  templateVersion?: string;
  /** The customer's own switch, as the stack's parameters hold it now. */
  enableAutoUpdate?: boolean;
}

export type LiveStackOutcome =
  | { kind: "found"; stack: LiveStack }
  /** No such stack, or DELETE_COMPLETE. */
  | { kind: "gone" }
  /** The integration role refused us (gone, or no longer trusting our ExternalId). */
  | { kind: "denied"; message: string }
  /** STS or CloudFormation failed (throttling, network): nothing can be concluded. */
  | { kind: "error"; message: string };

export interface LiveStackRequest {
  roleArn: string;
  externalId: string;
  region: string;
  /** The stack id (an ARN): a deleted stack is describable by id only. */
  stackId: string;
  sessionName: string;
}

const DELETED = "DELETE_COMPLETE";
const errorName = (e: unknown) => (e as { name?: string }).name ?? "";
const isMissing = (e: unknown) => errorName(e) === "ValidationError" && /does not exist/.test((e as Error).message);
const isDenied = (e: unknown) => ["AccessDenied", "AccessDeniedException"].includes(errorName(e));

/** The template's declared version: its `TemplateVersion` output, as the customer template writes it. */
export function templateVersionOf(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const value = parseTemplate(body).Outputs?.TemplateVersion?.Value;
    return typeof value === "string" ? value : undefined;
  } catch (e) {
    if (isStackfleetError(e, "input")) return undefined;
    throw e;
  }
}

const parameterOf = (stack: Stack, key: string) =>
  stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;

/**
 * AssumeRole into the integration role with the integration's ExternalId, then DescribeStacks and
 * GetTemplate on the stack the integration names. Two read calls against the customer's quota.
 */
export async function readLiveStack(
  sts: STSClient,
  cloudFormation: Partial<CloudFormationClientConfig>,
  request: LiveStackRequest,
): Promise<LiveStackOutcome> {
  let client: CloudFormationClient;
  try {
    const credentials = await assumeRole(sts, { ...request, externalId: request.externalId });
    client = new CloudFormationClient({ ...cloudFormation, region: request.region, credentials });
  } catch (e) {
    if (isStackfleetError(e, "forbidden")) return { kind: "denied", message: e.message };
    if (isStackfleetError(e)) return { kind: "error", message: e.message };
    throw e;
  }
  try {
    const stack = (await client.send(new DescribeStacksCommand({ StackName: request.stackId }))).Stacks?.[0];
    if (!stack?.StackId || !stack.StackStatus || stack.StackStatus === DELETED) return { kind: "gone" };
    const template = await client.send(new GetTemplateCommand({ StackName: stack.StackId, TemplateStage: "Original" }));
    const enabled = parameterOf(stack, AUTO_UPDATE_PARAMETER);
    return {
      kind: "found",
      stack: {
        stackId: stack.StackId,
        status: stack.StackStatus,
        operationAt: stack.LastUpdatedTime ?? stack.CreationTime ?? new Date(0),
        templateVersion: templateVersionOf(template.TemplateBody),
        enableAutoUpdate: enabled === undefined ? undefined : enabled === "true",
      },
    };
  } catch (e) {
    if (isMissing(e)) return { kind: "gone" };
    if (isDenied(e)) return { kind: "denied", message: `${errorName(e)}: ${(e as Error).message}` };
    return { kind: "error", message: `${errorName(e) || "Error"}: ${(e as Error).message}` };
  } finally {
    client.destroy();
  }
}
