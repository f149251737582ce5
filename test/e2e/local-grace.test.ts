import { Integration } from "@stackfleet/core/integration";
import { installLinks } from "@stackfleet/core/integration/install";
import { Run } from "@stackfleet/core/run";
import { Publish, Version } from "@stackfleet/core/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../support/local-stack";

/**
 * `npm start -- --grace 2m`: the grace signed into a local version is 2 minutes, broadening or
 * not, and the executor's own minimum grace follows it — so the update lands minutes after
 * publishing instead of the 24 h floor deferring it. The signed not-before still holds: a minute
 * early, nothing happens.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ startTime: new Date("2026-11-21T12:00:00.000Z"), graceMs: 120_000 });
});
afterAll(() => stack?.stop());

const [ACCOUNT, REGION] = ["333333333333", "ap-southeast-2"];

describe("a short local grace (graceMs)", () => {
  it("signs 2 minutes as not-before, and the executor applies the version minutes after, not a day later", async () => {
    const { deps } = stack;
    const created = await Integration.create(
      deps,
      "ten_grace",
      "Acme-integration",
      { accountId: ACCOUNT, region: REGION },
      "tenant:ten_grace",
    );
    const link = installLinks(stack.config, created, await Version.latestPublished(deps))!;
    const installed = await stack.createStack(ACCOUNT, REGION, {
      StackName: created.stackName,
      TemplateURL: link.templateUrl,
      Parameters: [
        { ParameterKey: "ExternalId", ParameterValue: created.externalId },
        { ParameterKey: "EnableAutoUpdate", ParameterValue: "true" },
      ],
    });
    expect(installed.StackStatus).toBe("CREATE_COMPLETE");

    // One permission more: a broadening version, which would otherwise wait 72 h.
    const template = stack.customerTemplate("1.1.0", [
      { Effect: "Allow", Action: ["s3:GetBucketPolicyStatus"], Resource: "*" },
    ]);
    const version = await Publish.publish(
      deps,
      deps.publishing,
      { templateBytes: new TextEncoder().encode(template), version: "1.1.0" },
      "operator:test",
    );
    expect(version.permissionsBroadened).toBe(true);
    expect(Date.parse(version.graceEndsAt) - Date.parse(version.createdAt)).toBe(120_000);

    // Scheduled a minute before the signed not-before: the executor defers it, applies nothing.
    const early = new Date(Date.parse(version.graceEndsAt) - 60_000);
    const run = await Run.create(
      deps,
      {
        integrationId: created.integrationId,
        tenantId: created.tenantId,
        version: version.version,
        sequence: version.sequence,
        attempt: 1,
        scheduledFor: early,
      },
      { actor: "system:planner", action: "update.scheduled", notify: true },
    );
    await stack.scheduler.scheduleRun({ runId: run.runId, at: early, kind: "run", attempt: 1 });
    await stack.sandbox.control.advanceClock(
      Date.parse(early.toISOString()) + 1_000 - stack.sandbox.clock.now().getTime(),
    );
    expect((await Integration.getById(deps, created.integrationId))?.currentVersion).toBe("1.0.0");

    // Five minutes after publishing (the go at the 2-minute not-before, its watch a minute or two
    // later), well inside what a 24 h executor floor would still hold back.
    await stack.sandbox.control.advanceClock(
      Date.parse(version.createdAt) + 300_000 - stack.sandbox.clock.now().getTime(),
    );
    const runs = await Run.byIntegration(deps, created.integrationId);
    expect(runs.map((r) => r.state)).toContain("succeeded");
    expect((await Integration.getById(deps, created.integrationId))?.currentVersion).toBe("1.1.0");
    expect(stack.errors).toEqual([]);
  }, 120_000);
});
