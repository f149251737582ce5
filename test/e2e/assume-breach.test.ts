import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UpdateStackCommand } from "@aws-sdk/client-cloudformation";
import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Run } from "@stackfleet/core/run";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import type { PolicyStatement } from "@stackfleet/core/template/customer/index";
import { liftEmergencyStop, setEmergencyStop } from "@stackfleet/core/updater/store";
import { Halts, Publish, Version } from "@stackfleet/core/version";
import { buildManifest, serializeManifest } from "@stackfleet/core/version/manifest";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { createLocalSigner } from "@stackfleet/local/dev/signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { afterCloudFormationCommand, attackerOf, cloudFormationCalls } from "../support/attacker";
import { installIntegration, startTestStack, type TestStack } from "../support/local-stack";

/**
 * Issue 11's acceptance: an attacker who owns the API — its table access, its routes, its right to
 * create schedules in the updater's group — tries to ship an update. Each attempt must end with
 * zero CloudFormation changes and a refusal on record. Versions are released with grace 0 (as a
 * misused release pipeline would sign them); the executor's own floor is 24 h.
 */
const HOUR = 3_600_000;
const TENANT = "ten_breach";
const IAM_STAR: PolicyStatement[] = [{ Effect: "Allow", Action: ["iam:*"], Resource: "*" }];
const ACCOUNTS = {
  unpinned: ["333333333333", "eu-west-1"],
  graceZero: ["333333333333", "eu-central-1"],
  broadening: ["333333333333", "us-west-2"],
  rollback: ["444444444444", "eu-west-1"],
  stop: ["444444444444", "eu-central-1"],
  liveNewer: ["444444444444", "us-west-2"],
  lateStop: ["555555555555", "eu-west-1"],
} as const;

let stack: TestStack;
let deps: TestStack["deps"];
let attacker: ReturnType<typeof attackerOf>;
let securityTeam: Awaited<ReturnType<typeof createLocalSigner>>;
const at: Partial<Record<keyof typeof ACCOUNTS, IntegrationRecord>> = {};
const versions: Record<string, VersionRecord> = {};

beforeAll(async () => {
  securityTeam = await createLocalSigner(join(mkdtempSync(join(tmpdir(), "stackfleet-approver-")), "approver.pem"));
  stack = await startTestStack({
    startTime: new Date("2026-11-21T12:00:00.000Z"),
    graceMs: 0,
    executor: {
      minGraceMs: 24 * HOUR,
      approverKeys: [await pinnedKeyOf(securityTeam)],
      autoApprove: false,
      retryDelaysMs: [600_000],
      pollMs: { initial: 1_000, max: 5_000 },
    },
  });
  deps = stack.deps;
  attacker = attackerOf(stack);
  for (const [name, [account, region]] of Object.entries(ACCOUNTS))
    at[name as keyof typeof ACCOUNTS] = await connect(account, region);
  versions["1.0.0"] = await Version.get(deps, "1.0.0");
  versions["1.1.0"] = await publish("1.1.0", []);
  versions["1.2.0"] = await publish("1.2.0", IAM_STAR);
}, 240_000);
afterAll(() => stack?.stop());

async function publish(version: string, statements: Parameters<TestStack["customerTemplate"]>[1]) {
  const bytes = new TextEncoder().encode(stack.customerTemplate(version, statements));
  return Publish.publish(deps, deps.publishing, { templateBytes: bytes, version }, "operator:test");
}

const connect = (accountId: string, region: string) => installIntegration(stack, TENANT, accountId, region);

async function settle(runId: string, rounds = 20) {
  for (let i = 0; i < rounds; i++) {
    const run = await Run.get(deps, runId);
    if (["succeeded", "failed", "cancelled", "ineligible", "skipped"].includes(run.state)) return run;
    await stack.sandbox.control.advanceClock(60_000);
  }
  return Run.get(deps, runId);
}

const actionsOf = async (integrationId: string) =>
  (await Event.byIntegration(deps, integrationId, { limit: 100 })).items.map((e) => e.action);
const alertsFor = async (version: string) =>
  (await Event.byVersion(deps, version, { limit: 100 })).items.filter((e) => e.action === "operator.alert");

describe("an attacker who owns the API", () => {
  it("cannot deploy a grace-0 manifest before the updater's own floor: deferred to first seen + 24 h", async () => {
    const integration = at.graceZero!;
    const release = versions["1.1.0"]!;
    // The signed notBefore is now and the table says the grace ended long ago.
    await attacker.rewriteVersion(release, { graceEndsAt: "2020-01-01T00:00:00.000Z" });
    const calls = cloudFormationCalls();
    const run = await attacker.scheduleNow(integration, release);
    await stack.sandbox.control.advanceClock(120_000);
    const waiting = await Run.get(deps, run.runId);
    expect(waiting.state).toBe("scheduled");
    expect(waiting.scheduledFor).toBe(new Date(Date.parse(release.createdAt) + 24 * HOUR).toISOString());
    expect(calls.all()).toBe(0);
    calls.stop();
    expect(await actionsOf(integration.integrationId)).toContain("run.deferred");
  });

  it("cannot deploy a manifest signed by a key the updater does not pin", async () => {
    await pastTheFloor();
    const integration = at.unpinned!;
    const template = versions["1.2.0"]!;
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const now = stack.sandbox.clock.now();
    const manifest = serializeManifest(
      buildManifest({
        product: stack.config.product,
        stackPrefix: stack.config.stackPrefix,
        version: "9.0.0",
        sequence: 90,
        template: { sha256: template.templateSha256, size: template.templateSize },
        capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        parameters: [],
        templateParameters: [],
        minFromVersion: null,
        broadening: false,
        notBefore: new Date(now.getTime() - 48 * HOUR),
        expiresAt: new Date(now.getTime() + 48 * HOUR),
        issuedAt: new Date(now.getTime() - 48 * HOUR),
        keyId: "attacker-key",
      }),
    );
    const forged = await attacker.deps.service.entities.version
      .create({
        ...stripKeys(template),
        version: "9.0.0",
        sequence: 90,
        manifest: Buffer.from(manifest).toString("base64"),
        signature: sign("sha256", manifest, { key: privateKey, dsaEncoding: "der" }).toString("base64"),
        keyId: "attacker-key",
        graceEndsAt: "2020-01-01T00:00:00.000Z",
      })
      .go();
    const calls = cloudFormationCalls();
    const run = await attacker.scheduleNow(integration, forged.data);
    const done = await settle(run.runId);
    expect(calls.all()).toBe(0);
    calls.stop();
    expect(done).toMatchObject({ state: "failed", reason: expect.stringMatching(/key_not_pinned/) });
    expect(await actionsOf(integration.integrationId)).toContain("run.failed");
  });

  it("cannot deploy a broadening version without the approver's signature, even writing one into the table", async () => {
    await pastTheFloor();
    const integration = at.broadening!;
    const release = versions["1.2.0"]!;
    // The release key's own signature over the manifest, stored as if it were an approval.
    await attacker.rewriteVersion(release, {
      approval: { keyId: release.keyId, signature: release.signature },
      approvedBy: "operator:mallory",
      approvalRequired: false,
    });
    const calls = cloudFormationCalls();
    const run = await attacker.scheduleNow(integration, release);
    const done = await settle(run.runId);
    expect(calls.all()).toBe(0);
    calls.stop();
    expect(done).toMatchObject({ state: "failed", reason: expect.stringMatching(/^approval_missing: /) });
    expect(await actionsOf(integration.integrationId)).toContain("run.failed");
    expect((await alertsFor("1.2.0")).map((e) => e.reason)).toContain("approval_missing");
    expect(await Run.byIntegration(deps, integration.integrationId)).toHaveLength(1);
  });

  it("cannot roll an integration back below the updater's high-water mark by rewriting the table", async () => {
    await pastTheFloor();
    const integration = at.rollback!;
    const update = await settle((await attacker.scheduleNow(integration, versions["1.1.0"]!)).runId, 40);
    expect(update.state).toBe("succeeded");
    // The security team approved 1.0.0 long ago; the attacker makes the table say the stack runs it.
    await approve("1.0.0");
    await attacker.forgetCurrentVersion(integration);
    const calls = cloudFormationCalls();
    const run = await attacker.scheduleNow(integration, versions["1.0.0"]!);
    const done = await settle(run.runId);
    expect(calls.all()).toBe(0);
    calls.stop();
    expect(done).toMatchObject({ state: "failed", reason: expect.stringMatching(/^rollback_refused: /) });
    expect((await alertsFor("1.0.0")).map((e) => e.reason)).toContain("rollback_refused");
  });

  it("cannot deploy a version below what the live stack already runs, whatever the table says", async () => {
    await pastTheFloor();
    const integration = at.liveNewer!;
    // The customer applied 1.2.0 themselves; the table (and the updater's high-water mark) never heard of it.
    await stack.cloudformation(integration.accountId, integration.region).send(
      new UpdateStackCommand({
        StackName: integration.stackName,
        TemplateBody: stack.customerTemplate("1.2.0", IAM_STAR),
        Parameters: ["ExternalId", "EnableAutoUpdate", "PermissionsBoundaryArn"].map((ParameterKey) => ({
          ParameterKey,
          UsePreviousValue: true,
        })),
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    await stack.waitForStack(integration.accountId, integration.region, integration.stackName);
    // The stack's callback told the table; the attacker makes the table forget it.
    await attacker.forgetCurrentVersion(integration);
    const calls = cloudFormationCalls();
    const run = await attacker.scheduleNow(integration, versions["1.1.0"]!);
    const done = await settle(run.runId);
    expect(calls.changes()).toBe(0);
    calls.stop();
    expect(done).toMatchObject({ state: "failed", reason: expect.stringMatching(/^rollback_refused: .*1\.2\.0/) });
    expect((await alertsFor("1.1.0")).map((e) => e.reason)).toContain("rollback_refused");
  });

  it("cannot lift the security team's emergency stop through the main table", async () => {
    await pastTheFloor();
    const integration = at.stop!;
    await setEmergencyStop(stack.updater, { reason: "incident 7", setBy: "security:alice" });
    // Everything the API could write: the main table's kill switch, and an item named like the stop.
    await attacker.deps.service.entities.control
      .upsert({ name: "global", halted: false, updatedAt: stack.sandbox.clock.now().toISOString() })
      .go();
    const calls = cloudFormationCalls();
    const run = await attacker.scheduleNow(integration, versions["1.1.0"]!);
    await stack.sandbox.control.advanceClock(120_000);
    await stack.sandbox.control.advanceClock(2 * HOUR);
    expect(await Run.get(deps, run.runId)).toMatchObject({ state: "scheduled" });
    expect(calls.all()).toBe(0);
    expect((await actionsOf(integration.integrationId)).filter((a) => a === "run.held").length).toBeGreaterThan(0);
    // Only the security team lifts it; then the same run goes through.
    await liftEmergencyStop(stack.updater);
    await stack.sandbox.control.advanceClock(HOUR + 120_000);
    expect(["executing", "watching", "succeeded"]).toContain((await Run.get(deps, run.runId)).state);
    expect(calls.changes()).toBe(1);
    calls.stop();
  });
});

// Last: its retry fires later and would count in the other tests' CloudFormation calls.
describe("the security team's emergency stop", () => {
  it("still wins when it is set while the change set is being prepared: nothing is executed", async () => {
    await pastTheFloor();
    const integration = at.lateStop!;
    const calls = afterCloudFormationCommand("CreateChangeSetCommand", () =>
      setEmergencyStop(stack.updater, { reason: "incident 8", setBy: "security:carol" }),
    );
    const run = await attacker.scheduleNow(integration, versions["1.1.0"]!);
    const done = await settle(run.runId);
    expect(calls.count("CreateChangeSetCommand")).toBe(1);
    expect(calls.count("ExecuteChangeSetCommand")).toBe(0);
    calls.stop();
    await liftEmergencyStop(stack.updater);
    expect(done).toMatchObject({ state: "failed", reason: "emergency stop before execution: incident 8" });
    // A retry is planned (the floor holds it while a stop stays); the customer's stack is untouched.
    expect(await Run.byIntegration(deps, integration.integrationId)).toHaveLength(2);
  });
});

/** Past the 24 h floor of the versions published at start (the grace-0 test runs before this). */
async function pastTheFloor() {
  const due = Date.parse(versions["1.2.0"]!.createdAt) + 25 * HOUR;
  const now = stack.sandbox.clock.now().getTime();
  if (now < due) await stack.sandbox.control.advanceClock(due - now);
}

async function approve(version: string) {
  const current = await Version.get(deps, version);
  const signature = Buffer.from(await securityTeam.sign(Buffer.from(current.manifest, "base64"))).toString("base64");
  await Halts.approveVersion(
    deps,
    { approverKeys: [await pinnedKeyOf(securityTeam)] },
    version,
    { keyId: securityTeam.keyId, signature },
    "operator:security",
  );
}

function stripKeys(version: VersionRecord) {
  const { version: _v, sequence: _s, ...rest } = version;
  return rest;
}
