import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { refusalsOf } from "@stackfleet/core/integration/registration";
import { planVersion, type RolloutContext } from "@stackfleet/core/rollout";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Call, FAULT_KINDS, Faults } from "../support/faults";
import { replayCallback } from "./support/callback";
import { isTerminal, settle, violations } from "./support/check";
import { type ReliabilityFixture, startReliabilityFixture } from "./support/harness";
import { rolloutContext } from "./support/model";
import { describeCall, FULL } from "./support/scenario";

// Issue 13: DynamoDB faults at every call site of the planner and of the registration callback,
// injected into the API's own table client. The planner is re-run after a failure (the operator's
// "plan again", which planning is built to make idempotent); a callback is retried by the stack's
// registration function and, once faults stop, replayed. These faults hit every call on the
// table client (the executor shares it), armed only while planning or the callback runs.

let rf: ReliabilityFixture;
let rollout: RolloutContext;
let fleet: IntegrationRecord[];
const api = new Faults();
let versions = 0;

beforeAll(async () => {
  rf = await startReliabilityFixture();
  // The API's document client, behind its ElectroDB entities: its middleware is the table client's.
  const client = (rf.deps.service.entities.run as unknown as { client: { client: DynamoDBDocumentClient } }).client;
  api.attach(client.client, "dynamodb");
  fleet = [await rf.connect("333333333333", "eu-west-1"), await rf.connect("444444444444", "eu-west-1")];
  rollout = await rolloutContext(rf);
}, 180_000);
afterAll(() => rf?.stack.stop());

const dynamo = (c: Call) => c.service === "dynamodb";
const publishNext = () => {
  versions++;
  return rf.publish(`1.${versions}.0`, rf.templateFor(`1.${versions}.0`));
};
/** Full: every kind that applies to the site; CI: one, rotating over the sites. */
const kindsFor = (i: number, site: Call) => {
  const applicable = FAULT_KINDS.filter((k) => !k.startsWith("txn-") || site.command === "TransactWriteItemsCommand");
  return FULL ? applicable : [applicable[i % applicable.length]!];
};

describe("planner faults", () => {
  /** Plans a new version with `arrange`'s faults, plans again once they stop, lets the fleet update, checks. */
  async function planScenario(arrange: () => void) {
    const version = await publishNext();
    const mark = api.calls.length;
    arrange();
    await planVersion(rf.deps, rollout, version, {}).catch(() => undefined);
    const during = api.calls.slice(mark);
    api.clear();
    await planVersion(rf.deps, rollout, version, {});
    const found: string[] = [];
    for (const integration of fleet) {
      // Canary first, the main wave after its cooling-off: hours, not minutes.
      await settle(rf, integration, undefined, 12, 6 * 3_600_000);
      const runs = (await rf.runsOf(integration.integrationId)).filter((r) => r.version === version.version);
      if (runs.filter((r) => r.attempt === 1).length !== 1) found.push(`${runs.length} first attempts planned`);
      if (!runs.some((r) => r.state === "succeeded")) found.push(`no run succeeded: ${runs.map((r) => r.state)}`);
      found.push(...(await violations(rf, integration, version.version)).map((v) => `${v.rule} ${v.detail}`));
    }
    return { during, found };
  }

  it("each planner call site failing: planning again plans every integration exactly once, and all update", async () => {
    const { during, found } = await planScenario(() => undefined);
    expect(found).toEqual([]);
    const sites = during.filter(dynamo);
    const failures: string[] = [];
    let scenarios = 0;
    // CI: 3 sites spread over planning (its first and last call among them); full: every site.
    const step = FULL ? 1 : Math.max(1, Math.floor((sites.length - 1) / 2));
    for (const [i, site] of sites.entries()) {
      if (i % step !== 0 && i !== sites.length - 1) continue;
      for (const kind of kindsFor(i, site)) {
        const result = await planScenario(() => api.inject({ kind, from: i + 1, times: FULL ? 3 : 1 }));
        scenarios++;
        if (!result.during.some((c) => c.fault === kind))
          failures.push(`${describeCall(site, i + 1)} ${kind}: never injected`);
        failures.push(...result.found.map((f) => `${describeCall(site, i + 1)} ${kind}: ${f}`));
      }
    }
    console.info(
      `planner DynamoDB faults: ${sites.length} call sites, ${scenarios} scenarios, ${failures.length} violations`,
    );
    expect(failures).toEqual([]);
  }, 3_600_000);
});

describe("registration callback faults", () => {
  const customer = () => fleet[0]!;

  /** The customer applies a version from the console; its stack calls back while the API's table fails at one call. */
  async function callbackScenario(arrange: () => void) {
    const version = await publishNext();
    const template = new TextDecoder().decode(await rf.deps.publishing.release.store.get(version.templateSha256));
    const mark = api.calls.length;
    arrange();
    const status = await rf.applyAsCustomer(customer(), template);
    const during = api.calls.slice(mark);
    api.clear();
    // Replayed once faults stop (CloudFormation's or the next operation's callback would bring it).
    const replay = await replayCallback(rf, customer());
    const found: string[] = [];
    if (status !== "UPDATE_COMPLETE") found.push(`the customer's update ended ${status}`);
    if (replay.status >= 300) found.push(`replay answered ${replay.status} ${JSON.stringify(replay.body)}`);
    const integration = await rf.integrationOf(customer().integrationId);
    if (integration.currentVersion !== version.version) found.push(`table says ${integration.currentVersion}`);
    if (integration.status !== "connected") found.push(`integration ${integration.status}`);
    const runs = await rf.runsOf(integration.integrationId);
    if (!runs.every(isTerminal)) found.push("a run is not final");
    return { during, found };
  }

  it("each callback call site failing once: the customer's update completes, the table catches up, nothing refused", async () => {
    const before = (await refusalsOf(rf.deps, customer().integrationId)).length;
    const { during, found } = await callbackScenario(() => undefined);
    expect(found).toEqual([]);
    const sites = during.filter(dynamo);
    const failures: string[] = [];
    let scenarios = 0;
    for (const [i, site] of sites.entries()) {
      for (const kind of kindsFor(i, site)) {
        const result = await callbackScenario(() => api.inject({ kind, from: i + 1, times: FULL ? 3 : 1 }));
        scenarios++;
        if (!result.during.some((c) => c.fault === kind))
          failures.push(`${describeCall(site, i + 1)} ${kind}: never injected`);
        failures.push(...result.found.map((f) => `${describeCall(site, i + 1)} ${kind}: ${f}`));
      }
    }
    const refusals = (await refusalsOf(rf.deps, customer().integrationId)).length - before;
    console.info(
      `callback DynamoDB faults: ${sites.length} call sites, ${scenarios} scenarios, ${failures.length} violations, ${refusals} refusals`,
    );
    expect(failures).toEqual([]);
  }, 3_600_000);
});
