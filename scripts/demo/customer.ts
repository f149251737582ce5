import {
  CloudFormationClient,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  type StackEvent,
} from "@aws-sdk/client-cloudformation";
import type { LocalState } from "@stackfleet/local/state";

type SandboxAccount = NonNullable<LocalState["sandbox"]>["accounts"][number];

/** What the customer sees in their own account, through the sandbox's CloudFormation API. */
export class CustomerView {
  constructor(private readonly sandbox: NonNullable<LocalState["sandbox"]>) {}

  customers(): SandboxAccount[] {
    return this.sandbox.accounts.filter((a) => a.role === "customer");
  }

  private client(accountId: string, region: string): CloudFormationClient {
    const account = this.sandbox.accounts.find((a) => a.accountId === accountId);
    if (!account) throw new Error(`the sandbox has no account ${accountId}`);
    return new CloudFormationClient({
      endpoint: this.sandbox.endpoint,
      region,
      credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
    });
  }

  /**
   * A Region where none of `accounts` has a live stack yet: an integration is one per account and
   * Region, so a second demo run against the same `npm start` connects in the next Region.
   */
  async freeRegion(accounts: string[], candidates: string[]): Promise<string> {
    for (const region of candidates) {
      const used = await Promise.all(
        accounts.map(async (accountId) => {
          // DescribeStacks without a name lists the live stacks (deleted ones are left out).
          const { Stacks = [] } = await this.client(accountId, region).send(new DescribeStacksCommand({}));
          return Stacks.length > 0;
        }),
      );
      if (!used.includes(true)) return region;
    }
    throw new Error(`every demo Region (${candidates.join(", ")}) is taken; restart with a fresh --data-dir`);
  }

  async status(accountId: string, region: string, stackName: string): Promise<string | undefined> {
    const { Stacks = [] } = await this.client(accountId, region).send(
      new DescribeStacksCommand({ StackName: stackName }),
    );
    return Stacks[0]?.StackStatus;
  }

  /** Waits until the stack is no longer `*_IN_PROGRESS` (each call lets a sandbox stack move on). */
  async settle(accountId: string, region: string, stackName: string, deadlineMs = 60_000): Promise<string> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const status = (await this.status(accountId, region, stackName)) ?? "GONE";
      if (!status.endsWith("_IN_PROGRESS") || Date.now() > deadline) return status;
      await new Promise((done) => setTimeout(done, 200));
    }
  }

  /** The stack's most recent update, oldest event first: from its UPDATE_IN_PROGRESS to where it ended. */
  async lastUpdateEvents(accountId: string, region: string, stackName: string): Promise<StackEvent[]> {
    const { StackEvents = [] } = await this.client(accountId, region).send(
      new DescribeStackEventsCommand({ StackName: stackName }),
    );
    const start = StackEvents.findIndex(
      (e) => e.LogicalResourceId === stackName && e.ResourceStatus === "UPDATE_IN_PROGRESS",
    );
    return (start === -1 ? [] : StackEvents.slice(0, start + 1)).reverse();
  }
}

export const eventLine = (e: StackEvent) =>
  [
    e.Timestamp?.toISOString().slice(0, 19).replace("T", " "),
    e.LogicalResourceId?.padEnd(34),
    e.ResourceStatus?.padEnd(40),
    e.ResourceStatusReason ?? "",
  ]
    .join("  ")
    .trimEnd();
