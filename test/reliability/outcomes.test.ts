import { Event } from "@stackfleet/core/event";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { silentLog } from "@stackfleet/core/log";
import { consumeDeadLetters } from "@stackfleet/core/sweeper";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Call } from "../support/faults";
import { isTerminal, settle, violations } from "./support/check";
import { type ReliabilityFixture, startReliabilityFixture } from "./support/harness";
import { describeCall, FULL } from "./support/scenario";

// Issue 13: every terminal outcome is exactly one customer notification, counted where the
// customer receives them (the notifier), through the two paths that used to break it: an update
// role that can no longer be assumed (the access loss rides in the run's outcome), and a delivery
// that fails every Lambda retry and lands in the dead-letter queue (the sweeper's consumer
// delivers it again).

let rf: ReliabilityFixture;
let accounts = 0;
let versions = 0;

beforeAll(async () => {
  rf = await startReliabilityFixture();
}, 120_000);
afterAll(() => rf?.stack.stop());

const ACCOUNTS = ["333333333333", "444444444444", "555555555555"];
const REGIONS = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "us-east-1", "us-east-2"];
const REGIONS_MORE = ["us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "ap-south-1", "ap-northeast-1"];
const PLACES = ACCOUNTS.flatMap((account) => [...REGIONS, ...REGIONS_MORE].map((region) => [account, region] as const));

/** A fresh customer (each access-loss scenario loses one for good) and a newer version scheduled for it. */
async function freshRun() {
  const [account, region] = PLACES[accounts++]!;
  const integration = await rf.connect(account, region);
  const label = `3.${++versions}.0`;
  const version = await rf.publish(label, rf.templateFor(label));
  const run = await rf.schedule(integration, version);
  return { integration, version, run };
}

/** What the customer was told about a run's outcome (announcing the run itself is not about its outcome). */
const outcomeNotices = (runId: string) =>
  rf.notifications().filter((n) => n.runId === runId && n.action.startsWith("run."));

async function auditOf(integration: IntegrationRecord) {
  return (await Event.byIntegration(rf.deps, integration.integrationId, { limit: 200 })).items;
}

describe("an update role that can no longer be assumed", () => {
  let calls: Call[] = [];

  it("fails the run with one notification saying access was lost, in one write with the integration's new status", async () => {
    const { integration, version, run } = await freshRun();
    rf.stack.sandbox.control.deleteRole(integration.updateRoleArn!);
    const mark = rf.faults.calls.length;
    await rf.advanceTo(version.graceEndsAt);
    calls = rf.faults.calls.slice(mark);
    await settle(rf, integration);

    expect(await rf.runOf(run.runId)).toMatchObject({ state: "failed" });
    expect(await rf.integrationOf(integration.integrationId)).toMatchObject({ status: "access-lost" });
    const notices = outcomeNotices(run.runId);
    expect(notices.map((n) => n.action)).toEqual(["run.failed"]);
    expect(notices[0]!.data).toMatchObject({ code: "access_lost" });
    // The loss stays on the integration's record, as audit: the run's outcome was the notification.
    const lost = (await auditOf(integration)).filter((e) => e.action === "access.lost");
    expect(lost.map((e) => e.notify)).toEqual([false]);
    expect(await violations(rf, integration, version.version)).toEqual([]);
  });

  it("a process killed at each step of that attempt still ends in exactly one notification", async () => {
    // CI: killed right after the claim and right after the outcome was written; full: after every call.
    const boundaries = calls
      .map((call, i) => ({ at: i + 1, call }))
      .filter(({ call }) => FULL || (call.command === "TransactWriteItemsCommand" && call.service === "dynamodb"));
    expect(boundaries.length).toBeGreaterThanOrEqual(2);
    const failures: string[] = [];
    for (const { at, call } of boundaries) {
      const { integration, version, run } = await freshRun();
      rf.stack.sandbox.control.deleteRole(integration.updateRoleArn!);
      let seen = 0;
      const mark = rf.faults.calls.length;
      rf.faults.killAfter(() => ++seen === at);
      await rf.advanceTo(version.graceEndsAt);
      if (!rf.faults.calls.slice(mark).some((c) => c.killedAfter))
        failures.push(`no kill after ${describeCall(call, at)}`);
      await settle(rf, integration);
      const where = `killed after ${describeCall(call, at)}`;
      const notices = outcomeNotices(run.runId).map((n) => `${n.action}:${(n.data as { code?: string }).code}`);
      if (notices.join() !== "run.failed:access_lost") failures.push(`${where}: told ${notices.join() || "nothing"}`);
      const lost = (await auditOf(integration)).filter((e) => e.action === "access.lost");
      if (lost.length !== 1) failures.push(`${where}: ${lost.length} access.lost records`);
      for (const v of await violations(rf, integration, version.version))
        failures.push(`${where}: ${v.rule} ${v.detail}`);
    }
    console.info(`access lost: ${boundaries.length} kill points, ${failures.length} violations`);
    expect(failures).toEqual([]);
  }, 600_000);
});

describe("a delivery that fails every Lambda retry", () => {
  it("lands in the dead-letter queue; the sweeper's consumer delivers it again and the run ends, told once", async () => {
    const { integration, version, run } = await freshRun();
    // The table is unreachable for the executor through the schedule's delivery and both Lambda retries.
    rf.faults.inject({ kind: "internal", from: 1, times: Number.POSITIVE_INFINITY });
    const letters = rf.stack.sandbox.targets.deadLetters().length;
    await rf.advanceTo(version.graceEndsAt);
    rf.faults.clear();
    const arrived = rf.stack.sandbox.targets.deadLetters().slice(letters);
    expect(arrived.map((l) => JSON.parse(l.input).runId)).toEqual([run.runId]);
    expect((await rf.runOf(run.runId)).state).toBe("scheduled");

    // `npm start`'s sweeper drains the queue (the SQS trigger in AWS) before the run is overdue
    // for its own sweep: the consumer alone hands it back to the executor.
    const sweepAt = Date.parse((await rf.runOf(run.runId)).sweepAt ?? "");
    expect(sweepAt).toBeGreaterThan(rf.stack.sandbox.clock.now().getTime());
    const swept = await rf.stack.sweep();
    expect(swept).toMatchObject({ overdueRuns: 0, expiredLeases: 0 });
    expect((await rf.runOf(run.runId)).state).not.toBe("scheduled");
    await settle(rf, integration);
    const final = await rf.runOf(run.runId);
    expect(isTerminal(final)).toBe(true);
    expect(final.state).toBe("succeeded");
    expect(outcomeNotices(run.runId).map((n) => n.action)).toEqual(["run.succeeded"]);
    expect(await violations(rf, integration, version.version)).toEqual([]);
  });

  it("an unreadable dead letter is consumed, counted and kept on record as an operator alert", async () => {
    const metrics: string[] = [];
    const counts = await consumeDeadLetters(
      rf.deps,
      {
        redeliver: async () => undefined,
        log: silentLog,
        metric: (name, value) => void metrics.push(`${name}=${value}`),
      },
      ['{"runId":"not-a-run"}'],
    );
    expect(counts).toEqual({ redelivered: 0, settled: 0, unreadable: 1 });
    expect(metrics).toContain("dead_letters_unreadable=1");
    const { data } = await rf.deps.service.entities.event.scan.go({ pages: "all" });
    expect(data.filter((e) => e.reason === "dead_letter_unreadable")).toEqual([
      expect.objectContaining({
        action: "operator.alert",
        data: expect.objectContaining({ body: '{"runId":"not-a-run"}' }),
      }),
    ]);
  });
});
