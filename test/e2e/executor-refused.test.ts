import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

// Found by the review of the watch hand-over: a genuine, lasting ExecuteChangeSet refusal (the
// customer's own IAM now denies cloudformation:ExecuteChangeSet while CreateChangeSet and
// DescribeChangeSet still work) left the run `executing`, and every watch executed the change
// set again — over a thousand times, the customer told nothing. Every run reaches a terminal state
// the customer is told about, and a refused call is not repeated.
let f: ExecutorFixture;
let next: VersionRecord;
let ours: IntegrationRecord;

beforeAll(async () => {
  f = await startExecutorFixture();
  ours = await f.connect("333333333333", "ap-south-1");
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
}, 120_000);
afterAll(() => f?.stack.stop());

describe("ExecuteChangeSet refused for good (AccessDenied)", () => {
  it("ends the run at once, told once, not retried", async () => {
    const roles = f.stack.sandbox.roles;
    const role = roles.getRole(ours.updateRoleArn!)!;
    roles.putRole({
      ...role,
      inlinePolicies: {
        ...role.inlinePolicies,
        DenyExecute: {
          Version: "2012-10-17",
          Statement: [{ Effect: "Deny", Action: "cloudformation:ExecuteChangeSet", Resource: "*" }],
        },
      },
    } as typeof role);
    const run = await f.schedule(ours, next);
    await f.advanceTo(next.graceEndsAt);
    for (let i = 0; i < 2; i++) {
      await f.advanceBy(10 * 60_000);
      await f.stack.sweep();
    }
    const runs = await f.runsOf(ours.integrationId);
    const events = (await Event.byIntegration(f.deps, ours.integrationId, { limit: 500 })).items;
    const detail = JSON.stringify({
      runs: runs.map((r) => [r.attempt, r.state, r.watches]),
      events: events.map((e) => e.action),
    });
    expect(runs, detail).toHaveLength(1);
    expect(await f.runOf(run.runId), detail).toMatchObject({ state: "failed" });
    expect(
      events.filter((e) => e.action === "run.recovered"),
      detail,
    ).toHaveLength(0);
    const told = events.filter((e) => e.notify && e.runId === run.runId);
    expect(
      told.map((e) => e.action),
      detail,
    ).toEqual(expect.arrayContaining(["run.failed"]));
    expect(
      told.filter((e) => e.action !== "update.scheduled"),
      detail,
    ).toHaveLength(1);
    expect(JSON.stringify(told.find((e) => e.action === "run.failed")), detail).toContain("execute_forbidden");
  }, 600_000);
});
