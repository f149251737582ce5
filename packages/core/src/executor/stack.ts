import type { CloudFormationClient, Stack } from "@aws-sdk/client-cloudformation";
import { AUTO_UPDATE_PARAMETER } from "../customer-stack/contract";

/** CloudFormation accepts an update only from these (AWS-FACTS.md); anything else is "not now". */
export const UPDATABLE_STATUSES = new Set([
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE",
]);

export type LiveStackCheck =
  | { ok: true; stack: Stack; parameters: Map<string, string | undefined> }
  | { ok: false; kind: "outside_prefix" | "auto_update_off" | "not_updatable" | "missing"; reason: string };

/**
 * The customer's stack as it is right now: the name must carry our prefix, its own
 * `EnableAutoUpdate` must still be "true" (the customer's switch, honoured over our table), and
 * its status must allow an update.
 */
export async function checkLiveStack(
  cfn: CloudFormationClient,
  stackName: string,
  prefix: string,
): Promise<LiveStackCheck> {
  if (!inPrefix(stackName, prefix)) return outsidePrefix(stackName, prefix);
  try {
    const { DescribeStacksCommand } = await import("@aws-sdk/client-cloudformation");
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    return assessStack(stackName, prefix, Stacks?.[0]);
  } catch (e) {
    // CloudFormation answers a deleted stack with ValidationError "Stack with id X does not exist".
    if ((e as Error).name === "ValidationError" && /does not exist/.test((e as Error).message))
      return assessStack(stackName, prefix, undefined);
    throw e;
  }
}

const inPrefix = (stackName: string, prefix: string) => stackName.startsWith(`${prefix}-`);
const outsidePrefix = (stackName: string, prefix: string): LiveStackCheck => ({
  ok: false,
  kind: "outside_prefix",
  reason: `stack ${stackName} is outside the ${prefix}- prefix`,
});

/** The decision on a described stack, apart from the call that described it. */
export function assessStack(stackName: string, prefix: string, stack: Stack | undefined): LiveStackCheck {
  if (!inPrefix(stack?.StackName ?? stackName, prefix)) return outsidePrefix(stack?.StackName ?? stackName, prefix);
  if (!stack) return { ok: false, kind: "missing", reason: `stack ${stackName} was not found` };
  const parameters = new Map((stack.Parameters ?? []).map((p) => [p.ParameterKey ?? "", p.ParameterValue]));
  if (parameters.get(AUTO_UPDATE_PARAMETER) !== "true") {
    return { ok: false, kind: "auto_update_off", reason: `${AUTO_UPDATE_PARAMETER} is not "true" on the live stack` };
  }
  const status = stack.StackStatus ?? "UNKNOWN";
  if (!UPDATABLE_STATUSES.has(status)) {
    const why =
      status === "ROLLBACK_COMPLETE"
        ? " (a failed create: it can only be deleted)"
        : status === "UPDATE_ROLLBACK_FAILED"
          ? " (needs ContinueUpdateRollback by the customer)"
          : "";
    return { ok: false, kind: "not_updatable", reason: `stack is ${status}${why}` };
  }
  return { ok: true, stack, parameters };
}
