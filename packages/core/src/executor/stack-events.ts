import type { CloudFormationClient, StackEvent } from "@aws-sdk/client-cloudformation";
import { tokenFor } from "./changeset";

export type WatchState =
  | { kind: "succeeded" }
  | { kind: "rolled_back"; status: string; reason: string }
  | { kind: "in_progress"; status?: string }
  | { kind: "lost"; reason: string };

// Once cleanup starts the outcome is decided (CloudFormation no longer rolls back a completed
// update, and a finished rollback stays rolled back): no need for one more read to see it end.
const SUCCESS = new Set(["UPDATE_COMPLETE", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]);
const ROLLED_BACK = new Set([
  "UPDATE_ROLLBACK_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
  "UPDATE_ROLLBACK_FAILED",
]);

/**
 * Where our update is, judged only by stack events carrying our ClientRequestToken — so another
 * update of the same stack (the customer's own, say) is never mistaken for ours.
 */
export async function watchOnce(cfn: CloudFormationClient, stackName: string, runId: string): Promise<WatchState> {
  const token = tokenFor(runId);
  // Loaded with the client by CustomerAccess.open; importing it here keeps it out of cold start.
  const { DescribeStackEventsCommand } = await import("@aws-sdk/client-cloudformation");
  const ours: StackEvent[] = [];
  let next: string | undefined;
  // Events come newest first; our operation's events are recent, so stop once past its start —
  // or at once on success, which needs no cause from older pages: one read per look.
  do {
    const page = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName, NextToken: next }));
    ours.push(...(page.StackEvents ?? []).filter((e) => e.ClientRequestToken === token));
    const done = ours.some(
      (e) =>
        e.ResourceType === "AWS::CloudFormation::Stack" &&
        (e.ResourceStatus === "UPDATE_IN_PROGRESS" || SUCCESS.has(e.ResourceStatus ?? "")),
    );
    next = done ? undefined : page.NextToken;
  } while (next);
  const latest = ours.find((e) => e.ResourceType === "AWS::CloudFormation::Stack")?.ResourceStatus;
  if (latest && SUCCESS.has(latest)) return { kind: "succeeded" };
  if (latest && ROLLED_BACK.has(latest)) {
    // The first failure in time is the cause; the rest of the rollback follows from it.
    const cause = [...ours].reverse().find((e) => e.ResourceStatus?.endsWith("_FAILED") && e.ResourceStatusReason);
    return {
      kind: "rolled_back",
      status: latest,
      reason: cause ? `${cause.LogicalResourceId}: ${cause.ResourceStatusReason}` : latest,
    };
  }
  return { kind: "in_progress", status: latest };
}
