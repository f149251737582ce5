import { DescribeStacksCommand, GetTemplateCommand } from "@aws-sdk/client-cloudformation";
import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Version } from "@stackfleet/core/version";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

// The executor end to end: runs fire from the sandbox Scheduler into the executor, which assumes
// the customer's update role in the sandbox and updates the real (sandbox) stack.
let f: ExecutorFixture;
let same: VersionRecord; // 1.0.1: what the eu-central-1 stack will already run when its run fires
let next: VersionRecord; // 1.1.0: grants one more permission
const CUSTOMER = "333333333333";
// New installs get the latest published version, so every scenario's stack is installed at 1.0.0
// before the versions under test are published.
const at: Record<string, IntegrationRecord> = {};

beforeAll(async () => {
  f = await startExecutorFixture({ retryDelaysMs: [600_000, 1_200_000] });
  for (const [account, region] of [
    [CUSTOMER, "eu-west-1"],
    [CUSTOMER, "eu-central-1"],
    [CUSTOMER, "us-west-2"],
    ["444444444444", "eu-west-1"],
    ["444444444444", "eu-central-1"],
  ] as const) {
    at[`${account}/${region}`] = await f.connect(account, region);
  }
  same = await f.publish("1.0.1", f.templateFor("1.0.1"));
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
}, 120_000);
afterAll(() => f?.stack.stop());

const notifications = async (integrationId: string) =>
  (await Event.byIntegration(f.deps, integrationId, { limit: 100 })).items.filter((e) => e.notify).map((e) => e.action);

describe("executor outcomes", () => {
  it("updates the stack through a change set at grace end and records the new version", async () => {
    const integration = at[`${CUSTOMER}/eu-west-1`]!;
    const run = await f.schedule(integration, next);
    await f.advanceBy(60_000);
    expect((await f.runOf(run.runId)).state).toBe("scheduled");
    await f.advanceTo(next.graceEndsAt);
    const done = await f.runOf(run.runId);
    expect(done, JSON.stringify(done)).toMatchObject({ state: "succeeded", outcome: "succeeded" });
    expect(await f.integrationOf(integration.integrationId)).toMatchObject({
      currentVersion: "1.1.0",
      currentSequence: next.sequence,
      status: "connected",
    });
    const { Stacks } = await f
      .cfnFor(CUSTOMER, "eu-west-1")
      .send(new DescribeStacksCommand({ StackName: integration.stackName }));
    expect(Stacks?.[0]).toMatchObject({ StackStatus: "UPDATE_COMPLETE" });
    // The parameters the customer set survive the update (UsePreviousValue), the ExternalId above all.
    expect(Stacks?.[0]?.Parameters).toEqual(
      expect.arrayContaining([
        { ParameterKey: "ExternalId", ParameterValue: integration.externalId },
        { ParameterKey: "EnableAutoUpdate", ParameterValue: "true" },
      ]),
    );
    expect(await f.ourUpdates(CUSTOMER, "eu-west-1", integration.stackName)).toHaveLength(1);
    // CloudFormation got exactly the bytes that were signed and verified.
    const { TemplateBody } = await f
      .cfnFor(CUSTOMER, "eu-west-1")
      .send(new GetTemplateCommand({ StackName: integration.stackName }));
    expect(TemplateBody).toBe(new TextDecoder().decode(await f.deps.publishing.release.store.get(next.templateSha256)));
    expect(await notifications(integration.integrationId)).toContain("run.succeeded");
  });

  it("records a version whose template the stack already has (its callback was lost) as a no-op success", async () => {
    const integration = at[`${CUSTOMER}/eu-central-1`]!;
    const run = await f.schedule(integration, same);
    // The customer applied 1.0.1 themselves and the stack's callback never arrived: the table
    // still says 1.0.0 while the live stack already runs 1.0.1's exact bytes.
    expect(
      await f.applyAsCustomer(
        integration,
        new TextDecoder().decode(await f.deps.publishing.release.store.get(same.templateSha256)),
      ),
    ).toBe("UPDATE_COMPLETE");
    await f.deps.service.entities.integration
      .patch({ integrationId: integration.integrationId })
      .set({ currentVersion: "1.0.0", currentSequence: (await Version.get(f.deps, "1.0.0")).sequence })
      .go();
    await f.advanceTo(same.graceEndsAt);
    expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded", outcome: "noop" });
    expect((await f.integrationOf(integration.integrationId)).currentVersion).toBe("1.0.1");
    expect(await f.ourUpdates(CUSTOMER, "eu-central-1", integration.stackName)).toHaveLength(0);
  });

  it("retries a rolled-back update with backoff, announcing each attempt, and succeeds later", async () => {
    const integration = at[`${CUSTOMER}/us-west-2`]!;
    f.stack.sandbox.control.failNextUpdate(CUSTOMER, integration.stackName, {
      region: "us-west-2",
      reason: "Resource handler returned message: Rate exceeded",
    });
    const first = await f.schedule(integration, next);
    await f.advanceTo(next.graceEndsAt);
    expect(await f.runOf(first.runId)).toMatchObject({ state: "failed" });
    expect((await f.runOf(first.runId)).reason).toMatch(/rolled back.*Rate exceeded/);
    const [retry] = (await f.runsOf(integration.integrationId)).filter((r) => r.attempt === 2);
    expect(retry).toMatchObject({ state: "scheduled", version: "1.1.0" });
    expect(new Date(retry!.scheduledFor).getTime() - f.stack.sandbox.clock.now().getTime()).toBeGreaterThan(500_000);
    expect(await notifications(integration.integrationId)).toEqual(
      expect.arrayContaining(["run.failed", "run.retry-planned"]),
    );
    // Both went out at once, each once, from what the outcome committed (not left for the sweeper).
    const published = f.stack.notifications.filter((n) => n.integrationId === integration.integrationId);
    expect(published.filter((n) => n.action === "run.failed")).toHaveLength(1);
    expect(published.filter((n) => n.action === "run.retry-planned")).toEqual([
      expect.objectContaining({ runId: retry!.runId }),
    ]);
    await f.advanceBy(11 * 60_000);
    expect(await f.runOf(retry!.runId)).toMatchObject({ state: "succeeded" });
    expect((await f.integrationOf(integration.integrationId)).currentVersion).toBe("1.1.0");
  });

  it("fails with a clear reason when the stack is in UPDATE_ROLLBACK_FAILED, after the retries", async () => {
    const integration = at[`${"444444444444"}/eu-west-1`]!;
    f.stack.sandbox.control.failNextUpdate("444444444444", integration.stackName, {
      region: "eu-west-1",
      reason: "boom",
      rollbackFails: true,
    });
    const first = await f.schedule(integration, next);
    await f.advanceTo(next.graceEndsAt);
    expect((await f.runOf(first.runId)).state).toBe("failed");
    await f.advanceBy(11 * 60_000);
    await f.advanceBy(21 * 60_000);
    const runs = await f.runsOf(integration.integrationId);
    expect(runs.map((r) => [r.attempt, r.state]).sort()).toEqual([
      [1, "failed"],
      [2, "failed"],
      [3, "failed"],
    ]);
    expect(runs.find((r) => r.attempt === 3)?.reason).toMatch(/UPDATE_ROLLBACK_FAILED.*ContinueUpdateRollback/);
    expect(await f.ourUpdates("444444444444", "eu-west-1", integration.stackName)).toHaveLength(1);
  });

  it("hands a long update over to a watch schedule that finishes it", async () => {
    const integration = at[`${"444444444444"}/eu-central-1`]!;
    f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 1_800 } });
    f.stack.timings.invocationMs = 1_500;
    try {
      const run = await f.schedule(integration, next);
      await f.advanceTo(next.graceEndsAt);
      // The first watch, a minute after the go, found it running and handed over to the second.
      expect(await f.runOf(run.runId)).toMatchObject({ state: "watching", watches: 2 });
      await f.advanceBy(40 * 60_000);
      expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded" });
      const actions = (await Event.byIntegration(f.deps, integration.integrationId, { limit: 100 })).items.map(
        (e) => e.action,
      );
      expect(actions).toEqual(expect.arrayContaining(["run.watch-handover", "run.succeeded"]));
    } finally {
      f.stack.sandbox.engine.setPhaseDurations({ statuses: { UPDATE_IN_PROGRESS: 0 } });
      f.stack.timings.invocationMs = 900_000;
    }
  });
});
