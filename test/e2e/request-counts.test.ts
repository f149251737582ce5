import { AsyncLocalStorage } from "node:async_hooks";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

/**
 * What one typical successful update costs the executor (issue 16): DynamoDB requests (≤ 10),
 * calls into the customer's account (≤ 7) and status reads (≤ 2), and how often it reads each
 * record (issue 10: run, integration and version at most twice). The update takes 45 s, so it is
 * read by the watch schedule, not by the invocation that started it: both invocations count. Only
 * requests made inside executor invocations count; the customer stack's registration callback,
 * answered by the API while the update runs, shares the clients but not the invocation.
 */
let f: ExecutorFixture;
let integration: IntegrationRecord;
let next: VersionRecord;
const invocation = new AsyncLocalStorage<true>();
const sent: Array<{ command: string; reads: string[] }> = [];
const aws: string[] = [];
let invocations = 0;

/** The entities a request reads, from ElectroDB's sort keys (`$run_1`, `$activity#run_1#…`). */
function readsOf(command: string, input: Record<string, any>): string[] {
  const entityOf = (sk: unknown) => /[$#]([a-z]+)_1(?:#|$)/.exec(String(sk ?? ""))?.[1] ?? "other";
  if (command === "GetCommand") return [entityOf(input.Key?.sk)];
  if (command === "QueryCommand") return [entityOf(input.ExpressionAttributeValues?.[":sk1"])];
  if (command === "TransactGetCommand") return (input.TransactItems ?? []).map((t: any) => entityOf(t.Get?.Key?.sk));
  if (command === "BatchGetCommand")
    return Object.values(input.RequestItems ?? {}).flatMap((r: any) =>
      (r.Keys ?? []).map((k: any) => entityOf(k.sk ?? k.pk)),
    );
  return [];
}

type Send = (...args: unknown[]) => Promise<unknown>;
type Command = { constructor: { name: string }; input: Record<string, any> };

/**
 * Every request the executor sends: DynamoDB on the stack's document client, and into the
 * customer's account — AssumeRole of the integration's update role, and CloudFormation. The
 * sandbox's stand-in AssumeRole for the executor's own Lambda role is not a call in AWS (there
 * the role's credentials come from the environment), so it is left out.
 */
function countExecutorRequests(fixture: ExecutorFixture) {
  const client = (fixture.deps.service.entities.run.client as { client: unknown }).client;
  if (!(client instanceof DynamoDBDocumentClient)) throw new Error("expected the stack's document client");
  const send = client.send.bind(client) as Send;
  client.send = ((command: Command, ...rest: unknown[]) => {
    if (invocation.getStore())
      sent.push({ command: command.constructor.name, reads: readsOf(command.constructor.name, command.input) });
    return send(command, ...rest);
  }) as typeof client.send;
  for (const prototype of [CloudFormationClient.prototype, STSClient.prototype] as Array<{ send: Send }>) {
    const original = prototype.send;
    prototype.send = function (this: unknown, command: Command, ...rest: unknown[]) {
      const name = command.constructor.name.replace(/Command$/, "");
      if (invocation.getStore() && (name !== "AssumeRole" || command.input.RoleArn === integration.updateRoleArn))
        aws.push(name);
      return original.call(this, command, ...rest);
    } as Send;
  }
  const targets = fixture.stack.sandbox.targets;
  const executor = targets.resolve(fixture.stack.executorArn)!;
  targets.register(fixture.stack.executorArn, (input) => {
    invocations++;
    return invocation.run(true, () => executor(input));
  });
}

beforeAll(async () => {
  f = await startExecutorFixture();
  integration = await f.connect("333333333333", "eu-west-1");
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
  countExecutorRequests(f);
}, 120_000);
afterAll(() => f?.stack.stop());

describe("one typical successful update (an update of 45 s, read by its watch schedule)", () => {
  beforeAll(async () => {
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 45 } });
    const run = await f.schedule(integration, next);
    await f.advanceTo(next.graceEndsAt);
    await f.advanceBy(4 * 60_000);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded", watches: 1 });
    expect((await f.integrationOf(integration.integrationId)).currentVersion).toBe("1.1.0");
    // The run's invocation and its watch's: nothing else was delivered.
    expect(invocations).toBe(2);
  }, 120_000);

  it("reads the run, the integration and the version at most twice each (issue 10)", () => {
    const reads = sent.flatMap((r) => r.reads);
    expect(reads.filter((e) => e === "run").length, JSON.stringify(sent)).toBeGreaterThan(0);
    for (const entity of ["run", "integration", "version"])
      expect(reads.filter((e) => e === entity).length, `${entity}: ${JSON.stringify(sent)}`).toBeLessThanOrEqual(2);
  });

  // Measured 2026-11-29: 9 — the run: run + integration + version in one TransactGet (the
  // schedule's hint names them); claim; the floor's batch; the emergency stop before the go;
  // executing, under the watch's lease. The watch: the same TransactGet; high-water mark; outcome;
  // the outcome notification's delivery stamp. Was 14 when the run waited 20 s for a first look
  // and handed over, 10 while the watch read its own outcome back from the outbox to deliver it.
  it("sends at most 9 DynamoDB requests in all, none of them a read of the outbox (issue 16)", () => {
    expect(sent.length, JSON.stringify(sent)).toBeLessThanOrEqual(9);
    expect(
      sent.filter((r) => r.command === "QueryCommand"),
      JSON.stringify(sent),
    ).toEqual([]);
  });

  it("still tells the customer the outcome exactly once, and stamps it delivered", async () => {
    const outcome = f.stack.notifications.filter(
      (n) => n.integrationId === integration.integrationId && n.action === "run.succeeded",
    );
    expect(outcome).toHaveLength(1);
    const events = await Event.byIntegration(f.deps, integration.integrationId, { limit: 100 });
    const stamped = events.items.filter((e) => e.action === "run.succeeded");
    expect(stamped).toHaveLength(1);
    expect(stamped[0]).toMatchObject({ eventId: outcome[0]!.eventId, deliveredAt: expect.any(String) });
    // The stamp is a put of the event as committed: nothing it held is lost.
    expect(stamped[0]).toMatchObject({ runId: expect.any(String), tenantId: integration.tenantId, notify: true });
    expect(stamped[0]!.data).toMatchObject({ from: expect.any(String), to: "succeeded" });
  });

  // AssumeRole, DescribeStacks, CreateChangeSet, DescribeChangeSet, ExecuteChangeSet; then the
  // watch's own AssumeRole (its own invocation, its own session) and one DescribeStackEvents.
  it("makes at most 7 calls into the customer's account, at most 2 of them status reads (issue 16)", () => {
    expect(aws.length, aws.join(", ")).toBeLessThanOrEqual(7);
    expect(aws.filter((name) => name === "DescribeStackEvents").length, aws.join(", ")).toBeLessThanOrEqual(2);
    expect(aws.filter((name) => name === "ExecuteChangeSet")).toHaveLength(1);
  });
});
