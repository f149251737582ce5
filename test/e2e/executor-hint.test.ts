import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Run } from "@stackfleet/core/run";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

// A schedule's input carries the run's integration and version keys beside the run id, so the
// executor reads all three in one request. They only choose what is read: the run decides.
let f: ExecutorFixture;
let next: VersionRecord;
let ours: IntegrationRecord;
let other: IntegrationRecord;

beforeAll(async () => {
  f = await startExecutorFixture();
  ours = await f.connect("333333333333", "eu-west-1");
  other = await f.connect("333333333333", "eu-west-2");
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
}, 120_000);
afterAll(() => f?.stack.stop());

const rejections = async () =>
  (await Event.byTenant(f.deps, "-", { limit: 100 })).items.filter((e) => e.action === "executor.input-rejected")
    .length;
const deliver = (input: unknown) => f.stack.sandbox.targets.resolve(f.stack.executorArn)!(JSON.stringify(input));

describe("the schedule's hint", () => {
  it("naming another integration and version, it changes nothing: the run's own are read and updated", async () => {
    const run = await Run.create(
      f.deps,
      {
        integrationId: ours.integrationId,
        tenantId: ours.tenantId,
        version: next.version,
        sequence: next.sequence,
        attempt: 1,
        scheduledFor: new Date(next.graceEndsAt),
      },
      { actor: "system:planner", action: "update.scheduled" },
    );
    await f.advanceBy(Date.parse(next.graceEndsAt) - f.stack.sandbox.clock.now().getTime());
    await deliver({ runId: run.runId, integrationId: other.integrationId, sequence: next.sequence - 1 });
    await f.advanceBy(2 * 60_000);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded", integrationId: ours.integrationId });
    expect((await f.integrationOf(ours.integrationId)).currentVersion).toBe("1.1.0");
    expect(await f.ourUpdates(ours.accountId, ours.region, ours.stackName)).toHaveLength(1);
    expect((await f.integrationOf(other.integrationId)).currentVersion).toBe("1.0.0");
    expect(await f.ourUpdates(other.accountId, other.region, other.stackName)).toHaveLength(0);
  });

  it("refuses and records an input with anything else beside it, or a hint of the wrong shape", async () => {
    const [run] = await Run.byIntegration(f.deps, ours.integrationId);
    const rejectedBefore = await rejections();
    for (const input of [
      { runId: run!.runId, integrationId: ours.integrationId, sequence: next.sequence, stackName: "x" },
      { runId: run!.runId, integrationId: ours.integrationId, sequence: "2" },
      { runId: run!.runId, integrationId: "../evil", sequence: next.sequence },
    ])
      await deliver(input);
    expect((await rejections()) - rejectedBefore).toBe(3);
  });
});
