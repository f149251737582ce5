import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Event } from "@stackfleet/core/event";
import { Integration } from "@stackfleet/core/integration";
import { installLinks } from "@stackfleet/core/integration/install";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { refusalsOf } from "@stackfleet/core/integration/registration";
import { planVersion, type RolloutContext } from "@stackfleet/core/rollout";
import { Version } from "@stackfleet/core/version";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TENANT } from "../support/executor-fixture";
import { type Call, FAULT_KINDS, Faults } from "../support/faults";
import { createFailureOf, replayCallback } from "./support/callback";
import { isTerminal, settle, violations } from "./support/check";
import { type ReliabilityFixture, startReliabilityFixture } from "./support/harness";
import { rolloutContext } from "./support/model";
import { describeCall, FULL, kindChosen, rotating, runsPart, siteChosen } from "./support/scenario";

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
/** `RELIABILITY_STORY=1` prints each failing Create scenario's story (calls, stacks, table) to read its mechanism. */
const STORY = process.env.RELIABILITY_STORY === "1";
const publishNext = () => {
  versions++;
  return rf.publish(`1.${versions}.0`, rf.templateFor(`1.${versions}.0`));
};
/** The call sites `RELIABILITY_SITES` names (all unless set), with their 0-based positions. */
const chosenSites = (sites: Call[]) => [...sites.entries()].filter(([i]) => siteChosen(i + 1));
/** Full: every kind that applies to the site; CI: one, rotating over the sites. */
const kindsFor = (i: number, site: Call) => {
  const applicable = FAULT_KINDS.filter(
    (k) => (!k.startsWith("txn-") || site.command === "TransactWriteItemsCommand") && kindChosen(k),
  );
  return FULL ? applicable : [applicable[i % applicable.length]!];
};

describe.runIf(runsPart("planner"))("planner faults", () => {
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
    // CI: one site, rotating from run to run (each planning scenario waits out a canary and a main
    // wave for two integrations); full: every site.
    for (const [i, site] of rotating(chosenSites(sites), 1)) {
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

describe.runIf(runsPart("update"))("registration callback faults", () => {
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

  it("its write contended 3 times in a row: the customer's update still completes, nothing refused", async () => {
    // Found by the full sweep: a transaction conflict was answered 409, a refusal, and the
    // customer's stack update rolled back. Contention is retried on a fresh read, then a 503.
    const before = (await refusalsOf(rf.deps, customer().integrationId)).length;
    for (const kind of ["txn-conflict", "txn-condition"] as const) {
      const { found } = await callbackScenario(() =>
        api.inject({ kind, from: 1, times: 3, match: (c) => c.command === "TransactWriteItemsCommand" }),
      );
      expect(found).toEqual([]);
    }
    expect((await refusalsOf(rf.deps, customer().integrationId)).length).toBe(before);
  }, 600_000);

  it("each callback call site failing once: the customer's update completes, the table catches up, nothing refused", async () => {
    const before = (await refusalsOf(rf.deps, customer().integrationId)).length;
    const { during, found } = await callbackScenario(() => undefined);
    expect(found).toEqual([]);
    const sites = during.filter(dynamo);
    const failures: string[] = [];
    let scenarios = 0;
    // CI: 2 of the sites, rotating from run to run; full: every site.
    for (const [i, site] of rotating(chosenSites(sites), 2)) {
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

describe.runIf(runsPart("create"))("first registration (Create) callback faults", () => {
  const PLACES = ["us-east-1", "us-east-2", "us-west-2", "eu-central-1"].map(
    (region) => ["555555555555", region] as const,
  );
  let placed = 0;
  /**
   * The next place for a scenario. Places are reused: each scenario deletes its stack at the end,
   * and an install where a stack was before must work (the vendor boundary policy a deleted stack
   * retains is named per stack since 7358269, so it no longer refuses the next install; the
   * previous harness removed it between scenarios). Nothing is removed within a scenario either:
   * the customer's recreate after a rollback meets whatever the rollback left.
   */
  const freshPlace = () => {
    const [accountId, region] = PLACES[placed++ % PLACES.length]!;
    return [accountId, region] as const;
  };

  /**
   * A new integration's stack is created from its install link while the API's table fails as
   * `arrange` says. The stack's registration function retries a failed callback (3 tries), then
   * answers FAILED so the Create rolls back and the customer sees why. Whatever happened, once
   * faults stop the customer can recover the way the console tells them (delete the failed
   * stack, create it again from the same link; a new integration if the old one was removed) and
   * nothing is left half-registered: the account+Region's guard names a connected integration or
   * none. The stack is deleted afterwards, which frees the place for the next scenario.
   */
  /** A tenant adds an integration for the place, as the console does. */
  const newIntegration = (accountId: string, region: string) =>
    Integration.create(
      rf.deps,
      TENANT,
      `${rf.stack.config.stackPrefix}-integration`,
      { accountId, region },
      `tenant:${TENANT}`,
    );
  /** The customer creates the stack from the integration's install link (the latest version). */
  const installer = async (accountId: string, region: string) => {
    const latest = await Version.latestPublished(rf.deps);
    return (integration: IntegrationRecord) =>
      rf.stack.createStack(accountId, region, {
        StackName: integration.stackName,
        TemplateURL: installLinks(rf.stack.config, integration, latest)!.templateUrl,
        Parameters: [
          { ParameterKey: "ExternalId", ParameterValue: integration.externalId },
          { ParameterKey: "EnableAutoUpdate", ParameterValue: "true" },
        ],
      });
  };

  async function createScenario(arrange: () => void) {
    const [accountId, region] = freshPlace();
    const { deps, stack } = rf;
    const created = await newIntegration(accountId, region);
    const install = await installer(accountId, region);
    const mark = api.calls.length;
    arrange();
    const first = await install(created).finally(() => api.clear());
    const during = api.calls.slice(mark);
    const found: string[] = [];
    let integration = (await Integration.getById(deps, created.integrationId))!;
    let path = "connected at once";
    // What happened, in order, for reading a violation: the calls (faulted ones marked), the
    // stacks' ends, and what the table held at each step.
    const story = [during.map((c) => `${c.command.replace("Command", "")}${c.fault ? `[${c.fault}]` : ""}`).join(" ")];
    const held = async (when: string, id: string) => {
      const { data: g } = await deps.service.entities.accountGuard.get({ accountId, region }).go();
      const i = await Integration.getById(deps, id);
      const events = (await Event.byIntegration(deps, id)).items.map((e) => e.action).reverse();
      const refused = (await refusalsOf(deps, id)).map((r) => `${r.lastReason}x${r.count}`);
      story.push(
        `${when}: ${id} ${i?.status} stack ${i?.stackId?.split("/").pop() ?? "-"}, guard ${g?.integrationId ?? "none"}, events ${events}, refusals ${refused}`,
      );
    };
    story.push(`first create ${first.StackStatus} ${first.StackId?.split("/").pop()}`);
    await held("after the first create", created.integrationId);
    if (first.StackStatus === "CREATE_COMPLETE") {
      if (integration.status !== "connected") found.push(`stack created, integration ${integration.status}`);
    } else {
      path = "recreated";
      const why = await createFailureOf(rf, accountId, region, first.StackId!);
      if (!during.some((c) => c.fault)) found.push(`the create failed with no fault fired: ${why}`);
      await stack.deleteStack(accountId, region, first.StackId!);
      // The rollback's Delete may have removed the integration (its connect applied, the answer
      // lost): the console then offers no install link for it, and the customer adds a new one.
      const afresh = async () => {
        path = "new integration";
        const fresh = await newIntegration(accountId, region);
        const created = await install(fresh);
        integration = (await Integration.getById(deps, fresh.integrationId))!;
        return created;
      };
      integration = (await Integration.getById(deps, created.integrationId))!;
      let again = integration.status === "removed" ? await afresh() : await install(integration);
      if (path === "recreated") integration = (await Integration.getById(deps, created.integrationId))!;
      if (again.StackStatus !== "CREATE_COMPLETE" && integration.status === "removed") {
        await stack.deleteStack(accountId, region, again.StackId!);
        again = await afresh();
      }
      story.push(`${path}: ${again.StackStatus} ${again.StackId?.split("/").pop()}`);
      await held("after recreating", integration.integrationId);
      if (again.StackStatus !== "CREATE_COMPLETE")
        found.push(
          `the customer's second create ended ${again.StackStatus}: ${await createFailureOf(rf, accountId, region, again.StackId!)}`,
        );
      if (integration.status !== "connected") found.push(`after recreating, integration ${integration.status}`);
    }
    const { data: guard } = await deps.service.entities.accountGuard.get({ accountId, region }).go();
    if (guard?.integrationId !== integration.integrationId)
      found.push(`account guard names ${guard?.integrationId ?? "nobody"}, connected is ${integration.integrationId}`);
    await stack.deleteStack(accountId, region, integration.stackName);
    const { data: left } = await deps.service.entities.accountGuard.get({ accountId, region }).go();
    if (left) found.push(`the deleted stack's account guard is still held by ${left.integrationId}`);
    await held("after deleting the stack", integration.integrationId);
    return { during, found, path, story };
  }

  it("a connect applied but never answered, the rollback's Delete callback lost too: delete and create again connects", async () => {
    // Found by the full sweep (call 5 lost-response, call 6 Query persistently): the connect's
    // transaction was applied, every answer after it lost, so the Create rolled back and its
    // Delete callback failed as well. The integration stayed connected to the dead stack, and the
    // customer's recreate from the same link was refused as another stack (stack_mismatch): the
    // stack rolled back again and the guard stayed with a stack that no longer exists.
    const [accountId, region] = freshPlace();
    const { deps, stack } = rf;
    const created = await newIntegration(accountId, region);
    const install = await installer(accountId, region);
    let connecting = false;
    api.inject({
      kind: "lost-response",
      from: 1,
      times: Number.POSITIVE_INFINITY,
      match: (c) => c.service === "dynamodb" && (connecting ||= c.command === "TransactWriteItemsCommand"),
    });
    const first = await install(created).finally(() => api.clear());
    expect(first.StackStatus).toBe("ROLLBACK_COMPLETE");
    const stranded = (await Integration.getById(deps, created.integrationId))!;
    expect(stranded).toMatchObject({ status: "connected", stackId: first.StackId });
    await stack.deleteStack(accountId, region, first.StackId!);

    const again = await install(stranded);
    expect(again.StackStatus, await createFailureOf(rf, accountId, region, again.StackId!)).toBe("CREATE_COMPLETE");
    expect(await Integration.getById(deps, created.integrationId)).toMatchObject({
      status: "connected",
      stackId: again.StackId,
    });
    const guard = async () => (await deps.service.entities.accountGuard.get({ accountId, region }).go()).data;
    expect((await guard())?.integrationId).toBe(created.integrationId);
    await stack.deleteStack(accountId, region, again.StackId!);
    expect(await guard()).toBeNull();
    expect((await Integration.getById(deps, created.integrationId))?.status).toBe("removed");
  }, 300_000);

  it("the connect committed, then telling other pending integrations fails: the Create still completes connected", async () => {
    // Found by the full sweep (call 6 Query persistently): the connect's transaction was applied,
    // then the Query for other pending integrations failed and the callback answered 5xx for a
    // registration it had recorded; its retries failed, the Create rolled back and its Delete
    // callback failed too, leaving the integration connected to a dead stack.
    const [accountId, region] = freshPlace();
    const { deps, stack } = rf;
    const created = await newIntegration(accountId, region);
    const install = await installer(accountId, region);
    let connected = false;
    api.inject({
      kind: "throttle",
      from: 1,
      times: Number.POSITIVE_INFINITY,
      // Every call after the transaction: the Query first, then a retried callback's reads.
      match: (c) => {
        const after = connected;
        connected ||= c.command === "TransactWriteItemsCommand";
        return after;
      },
    });
    const first = await install(created).finally(() => api.clear());
    expect(api.calls.some((c) => c.fault === "throttle" && c.command === "QueryCommand")).toBe(true);
    expect(first.StackStatus, await createFailureOf(rf, accountId, region, first.StackId!)).toBe("CREATE_COMPLETE");
    expect(await Integration.getById(deps, created.integrationId)).toMatchObject({
      status: "connected",
      stackId: first.StackId,
    });
    await stack.deleteStack(accountId, region, first.StackId!);
    expect((await deps.service.entities.accountGuard.get({ accountId, region }).go()).data).toBeNull();
  }, 300_000);

  it("the connect's transaction contended 3 times in a row: the first Create still connects, nothing refused", async () => {
    // Found by the full sweep (call 5 txn-conflict/txn-condition): contention on the connect was
    // answered 409, a refusal, and the customer's Create rolled back (they had to create it again).
    const { deps, stack } = rf;
    for (const kind of ["txn-conflict", "txn-condition"] as const) {
      const [accountId, region] = freshPlace();
      const created = await newIntegration(accountId, region);
      const install = await installer(accountId, region);
      api.inject({ kind, from: 1, times: 3, match: (c) => c.command === "TransactWriteItemsCommand" });
      const first = await install(created).finally(() => api.clear());
      expect(first.StackStatus, await createFailureOf(rf, accountId, region, first.StackId!)).toBe("CREATE_COMPLETE");
      expect(await Integration.getById(deps, created.integrationId)).toMatchObject({ status: "connected" });
      expect(await refusalsOf(deps, created.integrationId)).toEqual([]);
      await stack.deleteStack(accountId, region, first.StackId!);
    }
  }, 300_000);

  it("each Create callback call site failing: the customer's create succeeds or recovers, nothing half-registered", async () => {
    const clean = await createScenario(() => undefined);
    expect(clean.found).toEqual([]);
    expect(clean.path).toBe("connected at once");
    const sites = clean.during.filter(dynamo);
    const failures: string[] = [];
    const paths: Record<string, number> = {};
    let scenarios = 0;
    // CI: one site, rotating from run to run; full: every site × kind × {once, 3×, persistent}.
    for (const [i, site] of rotating(chosenSites(sites), 1)) {
      for (const kind of kindsFor(i, site)) {
        for (const times of FULL ? [1, 3, Number.POSITIVE_INFINITY] : [1]) {
          const result = await createScenario(() => api.inject({ kind, from: i + 1, times }));
          scenarios++;
          paths[result.path] = (paths[result.path] ?? 0) + 1;
          const where = `${describeCall(site, i + 1)} ${kind} x${times}`;
          if (!result.during.some((c) => c.fault === kind)) failures.push(`${where}: never injected`);
          failures.push(...result.found.map((f) => `${where}: ${f}`));
          if (result.found.length && STORY) console.info(`${where}\n  ${result.story.join("\n  ")}`);
        }
      }
    }
    console.info(
      `Create callback DynamoDB faults: ${sites.length} call sites, ${scenarios} scenarios, ${failures.length} violations, outcomes ${JSON.stringify(paths)}`,
    );
    expect(failures).toEqual([]);
  }, 3_600_000);
});
