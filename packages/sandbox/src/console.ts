import type { DescribeStacksOutput, UpdateStackInput, UpdateStackOutput } from "@aws-sdk/client-cloudformation";
import { type Principal, SandboxError } from "./contract";
import { adminUserArn } from "./iam/accounts";

/** A customer editing their stack's parameters in the CloudFormation console. */
export interface ParameterChange {
  accountId: string;
  /** Absent: the one Region of the account where a stack of that name lives. */
  region?: string;
  stackName: string;
  parameters: Record<string, string>;
}

export interface StackParametersResult {
  stackId: string;
  region: string;
  status: string;
  parameters: Record<string, string>;
}

/** The part of the CloudFormation engine the console uses. */
export interface ConsoleEngine {
  regionsOf(accountId: string, stackName: string): string[];
  describeStacks(accountId: string, region: string, input: { StackName: string }): Promise<DescribeStacksOutput>;
  updateStack(
    accountId: string,
    region: string,
    input: UpdateStackInput,
    caller?: Principal,
  ): Promise<UpdateStackOutput>;
  tick(): Promise<void>;
}

/**
 * A real stack update as the console makes it when only parameters change: the previous template,
 * `UsePreviousValue` for every other parameter, the stack's capabilities, as the account's admin.
 * Conditions re-evaluate and custom resources get their Update request, exactly as in AWS.
 */
export async function updateStackParameters(
  engine: ConsoleEngine,
  change: ParameterChange,
): Promise<StackParametersResult> {
  const region = change.region ?? onlyRegion(engine, change.accountId, change.stackName);
  const [stack] = (await engine.describeStacks(change.accountId, region, { StackName: change.stackName })).Stacks ?? [];
  if (!stack) throw new SandboxError("ValidationError", `Stack with id ${change.stackName} does not exist`, 400);
  const existing = (stack.Parameters ?? []).map((p) => p.ParameterKey!);
  const unknown = Object.keys(change.parameters).filter((key) => !existing.includes(key));
  if (unknown.length > 0) {
    throw new SandboxError("ValidationError", `Parameters: [${unknown.join(", ")}] do not exist in the stack`, 400);
  }
  const caller: Principal = { type: "account", accountId: change.accountId, arn: adminUserArn(change.accountId) };
  await engine.updateStack(
    change.accountId,
    region,
    {
      StackName: stack.StackId,
      UsePreviousTemplate: true,
      Capabilities: stack.Capabilities,
      Parameters: existing.map((key) =>
        key in change.parameters
          ? { ParameterKey: key, ParameterValue: change.parameters[key] }
          : { ParameterKey: key, UsePreviousValue: true },
      ),
    },
    caller,
  );
  // Let the update run as far as the clock allows (with no phase durations: to completion).
  await engine.tick();
  const [after] = (await engine.describeStacks(change.accountId, region, { StackName: stack.StackId! })).Stacks ?? [];
  return {
    stackId: stack.StackId!,
    region,
    status: after?.StackStatus ?? "UNKNOWN",
    parameters: Object.fromEntries((after?.Parameters ?? []).map((p) => [p.ParameterKey!, p.ParameterValue ?? ""])),
  };
}

function onlyRegion(engine: ConsoleEngine, accountId: string, stackName: string): string {
  const regions = engine.regionsOf(accountId, stackName);
  if (regions.length === 1) return regions[0]!;
  throw new SandboxError(
    regions.length === 0 ? "ValidationError" : "invalid_request",
    regions.length === 0
      ? `Stack with id ${stackName} does not exist in account ${accountId}`
      : `Stack ${stackName} exists in ${regions.join(", ")}: say which region`,
    400,
  );
}
