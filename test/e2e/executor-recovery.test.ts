import {
  CreateChangeSetCommand,
  DescribeChangeSetCommand,
  ExecuteChangeSetCommand,
} from "@aws-sdk/client-cloudformation";
import { Event } from "@stackfleet/core/event";
import { tokenFor } from "@stackfleet/core/executor/changeset";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Run } from "@stackfleet/core/run";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExecutorFixture, startExecutorFixture } from "../support/executor-fixture";

// Every run ends: a delivery killed mid-run leaves the run leased; once the lease runs out the
// next delivery (the sweeper's) takes over, reconciles with CloudFormation and finishes it.
let f: ExecutorFixture;
let next: VersionRecord;
let operator: string;
const CUSTOMER = "333333333333";
const REGIONS = ["eu-west-1", "eu-central-1", "us-west-2", "us-east-2", "ap-southeast-2", "ca-central-1"] as const;
const at: Record<string, IntegrationRecord> = {};
const OTHER = "444444444444";
const WAVE_REGIONS = ["eu-west-1", "eu-central-1", "us-west-2", "us-east-2"] as const;
const wave: IntegrationRecord[] = [];
const MINUTE = 60_000;
const LEASE_MS = 5 * MINUTE;

beforeAll(async () => {
  f = await startExecutorFixture();
  for (const region of REGIONS) at[region] = await f.connect(CUSTOMER, region);
  for (const region of WAVE_REGIONS) wave.push(await f.connect(OTHER, region));
  next = await f.publish(
    "1.1.0",
    f.templateFor("1.1.0", [{ Effect: "Allow", Action: ["s3:GetBucketPolicy"], Resource: "*" }]),
  );
  operator = await f.stack.tokenFor("operator", undefined, { ttl: "30d" });
}, 180_000);
afterAll(() => f?.stack.stop());

const now = () => f.stack.sandbox.clock.now();
const lease = () => ({ until: new Date(now().getTime() + LEASE_MS), to: "invocation" as const });
/** One delivery of `{ runId }` to the executor, as a schedule (or a duplicate of one) makes it. */
const deliver = (runId: string) => f.stack.sandbox.targets.resolve(f.stack.executorArn)!(JSON.stringify({ runId }));
const actionsOf = async (integration: IntegrationRecord) =>
  (await Event.byIntegration(f.deps, integration.integrationId, { limit: 200 })).items;
const terminalNotifications = async (integration: IntegrationRecord, runId: string) =>
  (await actionsOf(integration))
    .filter((e) => e.notify && e.runId === runId)
    .map((e) => e.action)
    .filter((a) => ["run.succeeded", "run.failed", "run.cancelled", "run.noop", "run.ineligible"].includes(a));

/** A run (by default at the version's grace end) with no schedule: each test delivers it by hand. */
async function waitingRun(integration: IntegrationRecord, at = new Date(next.graceEndsAt), wave?: "canary") {
  return Run.create(
    f.deps,
    {
      integrationId: integration.integrationId,
      tenantId: integration.tenantId,
      version: next.version,
      sequence: next.sequence,
      attempt: 1,
      scheduledFor: at,
      ...(wave && { wave }),
    },
    { actor: "system:planner", action: "update.scheduled", notify: true },
  );
}

/** What an executor leaves when it is killed right after it claimed the run. */
async function killedAfterClaim(integration: IntegrationRecord) {
  return Run.claim(f.deps, await waitingRun(integration), "system:executor", { lease: lease() });
}

/** The change set a killed executor created with the run's name and token (the verified bytes, every parameter kept). */
async function changeSetOf(integration: IntegrationRecord, runId: string) {
  const cfn = f.cfnFor(CUSTOMER, integration.region);
  const token = tokenFor(runId);
  const body = new TextDecoder().decode(await f.deps.publishing.release.store.get(next.templateSha256));
  await cfn.send(
    new CreateChangeSetCommand({
      StackName: integration.stackName,
      ChangeSetName: token,
      ClientToken: token,
      ChangeSetType: "UPDATE",
      TemplateBody: body,
      Parameters: ["ExternalId", "EnableAutoUpdate", "PermissionsBoundaryArn"].map((ParameterKey) => ({
        ParameterKey,
        UsePreviousValue: true,
      })),
      Capabilities: ["CAPABILITY_NAMED_IAM"],
      RoleARN: integration.serviceRoleArn,
    }),
  );
  for (let i = 0; i < 20; i++) {
    const { Status } = await cfn.send(
      new DescribeChangeSetCommand({ StackName: integration.stackName, ChangeSetName: token }),
    );
    if (Status === "CREATE_COMPLETE") return token;
    await f.advanceBy(1_000);
  }
  throw new Error("change set never became ready");
}

/** Kills a run around ExecuteChangeSet, lets its lease run out, delivers it again: it must succeed. */
async function killedThenRedelivered(region: string, executed: boolean) {
  const integration = at[region]!;
  await f.advanceTo(next.graceEndsAt);
  const run = await killedWhileExecuting(integration, executed);
  await f.advanceBy(LEASE_MS + 1_000);
  await deliver(run.runId);
  await f.advanceBy(10 * MINUTE);
  expect(await f.runOf(run.runId)).toMatchObject({ state: "succeeded" });
  return { integration, run };
}

/** Marked executing; `execute`: CloudFormation got the go, then the process died before recording it. */
async function killedWhileExecuting(integration: IntegrationRecord, execute: boolean) {
  const claimed = await killedAfterClaim(integration);
  const token = await changeSetOf(integration, claimed.runId);
  const executing = await Run.transition(f.deps, {
    run: claimed,
    to: "executing",
    actor: "system:executor",
    action: "run.executing",
    lease: lease(),
  });
  if (execute)
    await f.cfnFor(CUSTOMER, integration.region).send(
      new ExecuteChangeSetCommand({
        StackName: integration.stackName,
        ChangeSetName: token,
        ClientRequestToken: token,
      }),
    );
  return executing;
}

describe("leases and takeover", () => {
  it("a delivery while the lease holds is a duplicate: nothing changes and CloudFormation is not touched", async () => {
    const integration = at["eu-west-1"]!;
    await f.advanceTo(next.graceEndsAt);
    const claimed = await killedAfterClaim(integration);
    await deliver(claimed.runId);
    expect(await f.runOf(claimed.runId)).toMatchObject({ state: "claimed", rev: claimed.rev });
    expect(await f.ourUpdates(CUSTOMER, "eu-west-1", integration.stackName)).toHaveLength(0);
    // Once the lease has run out, the sweeper finds the run and the executor takes it over to the end.
    await f.advanceBy(LEASE_MS + 1_000);
    expect((await f.stack.sweep()).expiredLeases).toBeGreaterThanOrEqual(1);
    await f.advanceBy(10 * MINUTE);
    const done = await f.runOf(claimed.runId);
    expect(done, JSON.stringify(done)).toMatchObject({ state: "succeeded" });
    expect(await f.ourUpdates(CUSTOMER, "eu-west-1", integration.stackName)).toHaveLength(1);
    expect((await actionsOf(integration)).filter((e) => e.action === "run.recovered")).toHaveLength(1);
    expect(await terminalNotifications(integration, claimed.runId)).toEqual(["run.succeeded"]);
  });

  it("killed after ExecuteChangeSet (the table never heard): the next delivery watches, it never executes again", async () => {
    const { integration, run } = await killedThenRedelivered("eu-central-1", true);
    expect(await f.ourUpdates(CUSTOMER, "eu-central-1", integration.stackName)).toHaveLength(1);
    expect((await f.integrationOf(integration.integrationId)).currentVersion).toBe("1.1.0");
    const recovered = (await actionsOf(integration)).filter((e) => e.action === "run.recovered");
    expect(recovered).toHaveLength(1);
    expect(recovered[0]?.data).toMatchObject({ from: "executing", to: "watching" });
    expect(await terminalNotifications(integration, run.runId)).toEqual(["run.succeeded"]);
  });

  it("killed between marking executing and ExecuteChangeSet: the next delivery re-checks the halts and executes once", async () => {
    const { integration, run } = await killedThenRedelivered("us-west-2", false);
    expect(await f.ourUpdates(CUSTOMER, "us-west-2", integration.stackName)).toEqual([tokenFor(run.runId)]);
    expect((await actionsOf(integration)).filter((e) => e.action === "run.recovered")).toHaveLength(1);
  });
});

describe("hard concurrency", () => {
  it("concurrent deliveries of one wave never exceed its limit: the rest are deferred, none failed", async () => {
    await f.advanceTo(next.graceEndsAt);
    // A wave of 4 under the default policy (10 % concurrent, at least 1; 5 % tolerance): 1 at a time.
    await f.deps.service.entities.waveTally.update({ version: next.version, wave: "canary" }).add({ size: 4 }).go();
    const runs = await Promise.all(wave.map((integration) => waitingRun(integration, now(), "canary")));
    await Promise.all(runs.map((run) => deliver(run.runId)));
    // The one that got the slot is read by its watch a minute after the go.
    await f.advanceBy(65_000);
    const after = await Promise.all(runs.map((run) => f.runOf(run.runId)));
    expect(after.filter((r) => r.state !== "scheduled").map((r) => r.state)).toEqual(["succeeded"]);
    const deferred = (await Promise.all(wave.map(actionsOf))).flat().filter((e) => e.action === "run.deferred");
    expect(deferred.map((e) => e.reason)).toEqual(["concurrency_full", "concurrency_full", "concurrency_full"]);
    const tally = (await f.deps.service.entities.waveTally.get({ version: next.version, wave: "canary" }).go()).data;
    expect(tally).toMatchObject({ inFlight: 0, failed: 0, succeeded: 1 });
  });
});

describe("early deliveries", () => {
  it("a delivery before the signed not-before is deferred to it, never claimed, and counts for nothing", async () => {
    const integration = at["us-east-2"]!;
    const later = await f.publish(
      "1.2.0",
      f.templateFor("1.2.0", [{ Effect: "Allow", Action: ["s3:GetBucketTagging"], Resource: "*" }]),
    );
    expect(now().getTime()).toBeLessThan(Date.parse(later.graceEndsAt));
    const run = await Run.create(
      f.deps,
      {
        integrationId: integration.integrationId,
        tenantId: integration.tenantId,
        version: later.version,
        sequence: later.sequence,
        attempt: 1,
        scheduledFor: now(),
        wave: "main",
      },
      { actor: "system:planner", action: "update.scheduled", notify: true },
    );
    await deliver(run.runId);
    const deferred = await f.runOf(run.runId);
    expect(deferred).toMatchObject({ state: "scheduled", scheduledFor: later.graceEndsAt });
    expect(
      (await actionsOf(integration)).find((e) => e.runId === run.runId && e.action === "run.deferred"),
    ).toMatchObject({
      reason: "not_before",
    });
    const tally = (await f.deps.service.entities.waveTally.get({ version: later.version, wave: "main" }).go()).data;
    expect(tally?.failed ?? 0).toBe(0);
    expect(tally?.inFlight ?? 0).toBe(0);
  });
});

describe("operators stop what is in flight", () => {
  it("cancel one run: a waiting run is cancelled and told once; a finished, executing, unknown or malformed one is refused", async () => {
    const res = await f.stack.api("POST", "/v1/runs/run_NOTAREALRUN0000000000000/cancel", operator);
    expect(res).toMatchObject({ status: 404, body: { error: { code: "run_not_found" } } });
    expect((await f.stack.api("POST", "/v1/runs/nope/cancel", operator)).status).toBe(400);
    const waiting = await waitingRun(at["eu-west-1"]!);
    const cancelled = await f.stack.api("POST", `/v1/runs/${waiting.runId}/cancel`, operator, {
      reason: "wrong stack",
    });
    expect(cancelled).toMatchObject({
      status: 200,
      body: { id: waiting.runId, state: "cancelled", reason: "wrong stack" },
    });
    expect(await terminalNotifications(at["eu-west-1"]!, waiting.runId)).toEqual(["run.cancelled"]);
    const again = await f.stack.api("POST", `/v1/runs/${waiting.runId}/cancel`, operator);
    expect(again).toMatchObject({ status: 409, body: { error: { code: "run_finished" } } });
    const executing = await Run.transition(f.deps, {
      run: await killedAfterClaim(at["eu-west-1"]!),
      to: "executing",
      actor: "system:executor",
      action: "run.executing",
    });
    const refused = await f.stack.api("POST", `/v1/runs/${executing.runId}/cancel`, operator);
    expect(refused).toMatchObject({ status: 409, body: { error: { code: "run_executing" } } });
    const tenant = await f.stack.tokenFor("tenant-admin", "ten_e2e");
    expect((await f.stack.api("POST", "/v1/runs/run_NOTAREALRUN0000000000000/cancel", tenant)).status).toBe(403);
  });
  it("stop: waiting runs are cancelled (told once), an executing change set finishes and is recorded, nothing new starts", async () => {
    const running = at["ap-southeast-2"]!;
    const waiting = at["ca-central-1"]!;
    await f.advanceTo(next.graceEndsAt);
    const inFlight = await killedWhileExecuting(running, true);
    const later = await waitingRun(waiting);
    const res = await f.stack.api("POST", `/v1/rollouts/${next.version}/stop`, operator, { reason: "incident 4711" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ version: "1.1.0", state: "halted", more: false });
    // This one, and the run left executing by the cancel test above.
    expect(res.body.finishing).toBe(2);
    expect(res.body.cancelled).toBeGreaterThanOrEqual(1);
    expect(await f.runOf(later.runId)).toMatchObject({ state: "cancelled", reason: "incident 4711" });
    expect(await terminalNotifications(waiting, later.runId)).toEqual(["run.cancelled"]);
    // The executing update runs to its end and its outcome is recorded.
    await f.advanceBy(LEASE_MS + 1_000);
    await f.stack.sweep();
    await f.advanceBy(10 * MINUTE);
    expect(await f.runOf(inFlight.runId)).toMatchObject({ state: "succeeded" });
    expect(await terminalNotifications(running, inFlight.runId)).toEqual(["run.succeeded"]);
    // The cancelled run never starts, whoever delivers it.
    await deliver(later.runId);
    expect(await f.ourUpdates(CUSTOMER, "ca-central-1", waiting.stackName)).toHaveLength(0);
  });
});
