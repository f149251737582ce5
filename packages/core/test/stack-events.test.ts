import type { CloudFormationClient, StackEvent } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { tokenFor } from "../src/executor/changeset";
import { watchOnce } from "../src/executor/stack-events";

const RUN = "run_01JD0000000000000000000000";
const ours = tokenFor(RUN);

const stackEvent = (status: string, token = ours): StackEvent =>
  ({
    ResourceType: "AWS::CloudFormation::Stack",
    LogicalResourceId: "Acme",
    ResourceStatus: status,
    ClientRequestToken: token,
  }) as StackEvent;
const resourceEvent = (id: string, status: string, reason?: string): StackEvent =>
  ({
    ResourceType: "AWS::IAM::Role",
    LogicalResourceId: id,
    ResourceStatus: status,
    ResourceStatusReason: reason,
    ClientRequestToken: ours,
  }) as StackEvent;

/** DescribeStackEvents answering `pages` in turn (newest first, as CloudFormation does), counting calls. */
function pagedStack(pages: StackEvent[][]) {
  let calls = 0;
  const cfn = {
    send: async () => {
      const page = pages[calls]!;
      calls++;
      return { StackEvents: page, NextToken: calls < pages.length ? `page-${calls}` : undefined };
    },
  } as unknown as CloudFormationClient;
  return { cfn, calls: () => calls };
}

describe("watchOnce", () => {
  it("reads one page when our update has completed, however long the stack's history", async () => {
    const stack = pagedStack([
      [stackEvent("UPDATE_COMPLETE"), stackEvent("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")],
      [resourceEvent("UpdateRole", "UPDATE_COMPLETE"), stackEvent("UPDATE_IN_PROGRESS")],
      [stackEvent("CREATE_COMPLETE", "install")],
    ]);
    expect(await watchOnce(stack.cfn, "Acme-integration", RUN)).toEqual({ kind: "succeeded" });
    expect(stack.calls()).toBe(1);
  });

  it("counts an update in its cleanup phase as succeeded: it can no longer roll back", async () => {
    const stack = pagedStack([[stackEvent("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"), stackEvent("UPDATE_IN_PROGRESS")]]);
    expect(await watchOnce(stack.cfn, "Acme-integration", RUN)).toEqual({ kind: "succeeded" });
  });

  it("pages back to the first failure of a rollback for its cause", async () => {
    const stack = pagedStack([
      [stackEvent("UPDATE_ROLLBACK_COMPLETE"), resourceEvent("IntegrationRole", "UPDATE_COMPLETE")],
      [resourceEvent("IntegrationRole", "UPDATE_FAILED", "Rate exceeded"), stackEvent("UPDATE_IN_PROGRESS")],
      [stackEvent("CREATE_COMPLETE", "install")],
    ]);
    expect(await watchOnce(stack.cfn, "Acme-integration", RUN)).toEqual({
      kind: "rolled_back",
      status: "UPDATE_ROLLBACK_COMPLETE",
      reason: "IntegrationRole: Rate exceeded",
    });
    expect(stack.calls()).toBe(2);
  });

  it("ignores another operation's events on the same stack", async () => {
    const stack = pagedStack([[stackEvent("UPDATE_COMPLETE", "customer-console"), stackEvent("UPDATE_IN_PROGRESS")]]);
    expect(await watchOnce(stack.cfn, "Acme-integration", RUN)).toEqual({
      kind: "in_progress",
      status: "UPDATE_IN_PROGRESS",
    });
  });
});
