import { AsyncLocalStorage } from "node:async_hooks";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

/**
 * What one successful update costs the executor in DynamoDB requests (issue 16: ≤ 10) and how often
 * it reads each record (issue 10: run, integration and version at most twice). Only the executor's
 * requests count: they are the ones made inside its invocations. The customer stack's registration
 * callback, answered by the API while the update runs, shares the client but not the invocation.
 */
let f: ExecutorFixture;
let integration: IntegrationRecord;
let next: VersionRecord;
const invocation = new AsyncLocalStorage<true>();
const sent: Array<{ command: string; reads: string[] }> = [];

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

/** Every request the executor sends on the stack's document client, with what it reads. */
function countExecutorRequests(fixture: ExecutorFixture) {
  const client = (fixture.deps.service.entities.run.client as { client: unknown }).client;
  if (!(client instanceof DynamoDBDocumentClient)) throw new Error("expected the stack's document client");
  const send = client.send.bind(client) as (...args: unknown[]) => Promise<unknown>;
  client.send = ((command: { constructor: { name: string }; input: Record<string, any> }, ...rest: unknown[]) => {
    if (invocation.getStore())
      sent.push({ command: command.constructor.name, reads: readsOf(command.constructor.name, command.input) });
    return send(command, ...rest);
  }) as typeof client.send;
  const targets = fixture.stack.sandbox.targets;
  const executor = targets.resolve(fixture.stack.executorArn)!;
  targets.register(fixture.stack.executorArn, (input) => invocation.run(true, () => executor(input)));
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

describe("DynamoDB requests of one successful update (executor only)", () => {
  beforeAll(async () => {
    const run = await f.schedule(integration, next);
    await f.advanceTo(next.graceEndsAt);
    // A long update hands over to a watch schedule: let those fire too, all counted.
    for (let i = 0; i < 20 && !["succeeded", "failed"].includes((await f.runOf(run.runId)).state); i++)
      await f.advanceBy(60_000);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded" });
    expect((await f.integrationOf(integration.integrationId)).currentVersion).toBe("1.1.0");
  }, 120_000);

  it("reads the run, the integration and the version at most twice each (issue 10)", () => {
    const reads = sent.flatMap((r) => r.reads);
    expect(reads.filter((e) => e === "run").length, JSON.stringify(sent)).toBeGreaterThan(0);
    for (const entity of ["run", "integration", "version"])
      expect(reads.filter((e) => e === entity).length, `${entity}: ${JSON.stringify(sent)}`).toBeLessThanOrEqual(2);
  });

  // Measured 2026-11-29: 10 (run get; integration + version in one TransactGet; claim; the floor's
  // batch; the emergency stop before the go; executing; high-water mark; outcome; outbox query and
  // stamp). Was 14-15 before the executor stopped re-reading what its delivery holds.
  it("sends at most 10 DynamoDB requests in all (issue 16)", () => {
    expect(sent.length, JSON.stringify(sent)).toBeLessThanOrEqual(10);
  });
});
