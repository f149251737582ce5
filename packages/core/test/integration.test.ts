import { beforeEach, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import type { LiveStack, LiveStackOutcome } from "../src/access/live-stack";
import type { AssumeOutcome, AssumeProbe } from "../src/access/probe";
import { isStackfleetError } from "../src/error";
import { Event } from "../src/event";
import { Integration, Registration } from "../src/integration";
import type { IntegrationRecord } from "../src/integration/integration";
import { versionItem } from "./support/records";

/** A scripted customer account: which (role, externalId) pairs AssumeRole accepts, and the live stack. */
class ScriptedAccount implements AssumeProbe {
  calls: Array<{ roleArn: string; externalId?: string }> = [];
  stackReads = 0;
  live: LiveStackOutcome;
  constructor(
    public accepts: (roleArn: string, externalId?: string) => AssumeOutcome,
    stack: Partial<LiveStack> = {},
  ) {
    this.live = { kind: "found", stack: liveStack(stack) };
  }
  async tryAssume(roleArn: string, externalId?: string) {
    this.calls.push({ roleArn, externalId });
    return this.accepts(roleArn, externalId);
  }
  async readStack(request: { roleArn: string; externalId: string }) {
    this.stackReads++;
    const assumed = this.accepts(request.roleArn, request.externalId);
    return assumed.kind === "assumed" ? this.live : assumed;
  }
  set(stack: Partial<LiveStack>) {
    this.live = { kind: "found", stack: liveStack(stack) };
  }
}

let store: TestStore;
let integration: IntegrationRecord;
const account = "333333333333";
const roleArn = `arn:aws:iam::${account}:role/Acme-integration-role`;
const stackId = `arn:aws:cloudformation:eu-west-1:${account}:stack/Acme-integration/abc`;
const liveStack = (over: Partial<LiveStack> = {}): LiveStack => ({
  stackId,
  status: "CREATE_IN_PROGRESS",
  operationAt: new Date("2026-11-21T11:00:00.000Z"),
  templateVersion: "1.0.0",
  enableAutoUpdate: true,
  ...over,
});
const requiresExternalId =
  (expected: () => string) =>
  (arn: string, externalId?: string): AssumeOutcome =>
    arn === roleArn && externalId === expected()
      ? { kind: "assumed" }
      : { kind: "denied", message: "not authorized to perform: sts:AssumeRole" };
const trusting = (stack: Partial<LiveStack> = {}) =>
  new ScriptedAccount(
    requiresExternalId(() => integration.externalId),
    stack,
  );

const createFor = (tenantId: string, accountId = account) =>
  Integration.create(store, tenantId, "Acme-integration", { accountId, region: "eu-west-1" }, `tenant:${tenantId}`);

beforeEach(async () => {
  store = await createTestStore();
  // DynamoDB Local runs the table's TTL on the wall clock: expiry times must lie ahead of it.
  store.clock.set(new Date());
  for (const [version, sequence] of [
    ["1.0.0", 1],
    ["1.1.0", 2],
  ] as const)
    await store.service.entities.version.create(versionItem(store.now().toISOString(), { version, sequence })).go();
  integration = await createFor("ten_a");
});

const callback = (over: Partial<Registration.RegistrationCallback> = {}): Registration.RegistrationCallback => ({
  requestType: "Create",
  requestId: "req-create",
  externalId: integration.externalId,
  accountId: account,
  region: "eu-west-1",
  integrationRoleArn: roleArn,
  updateRoleArn: `arn:aws:iam::${account}:role/Acme-stack-updater`,
  serviceRoleArn: `arn:aws:iam::${account}:role/Acme-cfn-service`,
  stackId,
  stackName: "Acme-integration",
  templateVersion: "1.0.0",
  enableAutoUpdate: true,
  ...over,
});
const metrics: Array<Record<string, unknown>> = [];
const log = { info: (_: string, f?: Record<string, unknown>) => void metrics.push(f ?? {}), warn() {}, error() {} };
const ctx = (probe: AssumeProbe) => ({
  probe,
  stackPrefix: "Acme",
  proof: { sleep: async () => {} },
  log: { ...log, appendKeys() {} },
});
const auditOf = async (id = integration.integrationId) =>
  (await Event.byIntegration(store, id)).items.map((e) => `${e.action}${e.reason ? `:${e.reason}` : ""}`);
const refusedWith = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e) => e as { code: string },
  );
const connectedWith = async (account: ScriptedAccount) => {
  const connected = await Registration.register(store, ctx(account), callback());
  account.set({ status: "CREATE_COMPLETE" });
  return connected;
};

describe("creating integrations", () => {
  it("generates an ExternalId of ≥ 32 chars in STS's charset, unique per integration", async () => {
    const other = await createFor("ten_a", "444444444444");
    for (const i of [integration, other]) expect(i.externalId).toMatch(/^[\w+=,.@:/-]{32,}$/);
    expect(other.externalId).not.toBe(integration.externalId);
  });

  it("answers the same whoever else already holds the account+region: nothing is claimed before registration", async () => {
    await connectedWith(trusting());
    const other = await createFor("ten_b");
    expect(other).toMatchObject({ status: "pending", accountId: account, tenantId: "ten_b" });
  });

  it("expires a pending integration after 7 days: gone on read, with a TTL for the table", async () => {
    expect(integration.pendingUntil).toBe(new Date(store.now().getTime() + 7 * 86_400_000).toISOString());
    expect(integration.expiresAt).toBeGreaterThan(Date.parse(integration.pendingUntil!) / 1000);
    store.clock.advance(7 * 86_400_000 - 1_000);
    expect((await Integration.list(store, "ten_a")).items).toHaveLength(1);
    store.clock.advance(1_000);
    expect(await Integration.getById(store, integration.integrationId)).toBeUndefined();
    expect((await Integration.list(store, "ten_a")).items).toHaveLength(0);
    const error = await refusedWith(Registration.register(store, ctx(trusting()), callback()));
    expect(error?.code).toBe("registration_rejected");
  });

  it("hides another tenant's integration as not found", async () => {
    const error = await Integration.get(store, "ten_b", integration.integrationId).catch((e) => e);
    expect(isStackfleetError(error, "not_found")).toBe(true);
  });
});

describe("registration", () => {
  it("connects after the two-sided proof and the live stack confirming the claimed version", async () => {
    const trust = trusting();
    const connected = await Registration.register(store, ctx(trust), callback());
    expect(connected).toMatchObject({
      status: "connected",
      integrationRoleArn: roleArn,
      currentVersion: "1.0.0",
      currentSequence: 1,
      planState: "eligible",
      lastRequestId: "req-create",
    });
    expect(connected.expiresAt).toBeUndefined();
    expect(connected.pendingUntil).toBeUndefined();
    expect(trust.calls).toEqual([
      { roleArn, externalId: integration.externalId },
      { roleArn, externalId: undefined },
    ]);
    expect(await auditOf()).toContain("integration.connected");
    const guard = await store.service.entities.accountGuard.get({ accountId: account, region: "eu-west-1" }).go();
    expect(guard.data?.integrationId).toBe(integration.integrationId);
  });

  it("retries briefly while IAM catches up", async () => {
    let denials = 2;
    const trust = trusting();
    const accepts = trust.accepts;
    trust.accepts = (arn, externalId) =>
      externalId && denials-- > 0 ? { kind: "denied", message: "eventual consistency" } : accepts(arn, externalId);
    expect((await Registration.register(store, ctx(trust), callback())).status).toBe("connected");
  });

  it.each([
    ["a version that was never published", { templateVersion: "9.9.9" }, {}, "unknown_version"],
    ["a version the live stack does not run", { templateVersion: "1.1.0" }, {}, "version_not_live"],
    [
      "another stack than the integration's",
      {},
      { stackId: stackId.replace("Acme-integration", "Other") },
      "stack_mismatch",
    ],
  ])("refuses a Create claiming %s", async (_, over, live, code) => {
    const error = await refusedWith(Registration.register(store, ctx(trusting(live)), callback(over)));
    expect(error?.code).toBe(code);
    expect((await Integration.getById(store, integration.integrationId))?.status).toBe("pending");
  });

  it("lets the stack that registers decide a race: the other tenants' integrations say why", async () => {
    const first = await connectedWith(trusting());
    const pending = await createFor("ten_c");
    const rival = await createFor("ten_b");
    integration = rival; // the account's stack now trusts ten_b's ExternalId
    const won = await Registration.register(store, ctx(trusting()), callback({ externalId: rival.externalId }));
    expect(won.status).toBe("connected");
    for (const loser of [first, pending]) {
      expect(await Integration.getById(store, loser.integrationId)).toMatchObject({
        status: "removed",
        statusReason: expect.stringContaining("superseded"),
        planState: "ineligible",
      });
      expect(await auditOf(loser.integrationId)).toContain("integration.superseded");
    }
    const guard = await store.service.entities.accountGuard.get({ accountId: account, region: "eu-west-1" }).go();
    expect(guard.data?.integrationId).toBe(rival.integrationId);
  });

  it("refuses a role that trusts the vendor without an ExternalId condition", async () => {
    const trust = new ScriptedAccount(() => ({ kind: "assumed" }));
    const error = await refusedWith(Registration.register(store, ctx(trust), callback()));
    expect(error?.code).toBe("external_id_not_enforced");
    expect((await Integration.getById(store, integration.integrationId))?.status).toBe("pending");
  });

  it("honours the live EnableAutoUpdate=false, and lifts only that opt-out when it flips back", async () => {
    const trust = trusting({ enableAutoUpdate: false });
    const off = await Registration.register(store, ctx(trust), callback({ enableAutoUpdate: true }));
    expect(off).toMatchObject({ autoUpdate: false, autoUpdateReason: Registration.STACK_OPT_OUT });
    trust.set({ status: "UPDATE_IN_PROGRESS", enableAutoUpdate: true });
    const on = await Registration.register(store, ctx(trust), callback({ requestType: "Update", requestId: "r2" }));
    expect(on).toMatchObject({ autoUpdate: true, planState: "eligible" });
    await Integration.setAutoUpdate(store, on, false, "tenant:ten_a", "change freeze");
    trust.set({ status: "UPDATE_IN_PROGRESS", templateVersion: "1.1.0" });
    const still = await Registration.register(
      store,
      ctx(trust),
      callback({ requestType: "Update", requestId: "r3", templateVersion: "1.1.0" }),
    );
    expect(still).toMatchObject({ autoUpdate: false, autoUpdateReason: "change freeze", currentVersion: "1.1.0" });
  });
});

describe("callbacks are claims checked against the live stack", () => {
  it("keeps a connected integration when a Delete arrives for a stack that is not being deleted", async () => {
    const trust = trusting();
    await connectedWith(trust);
    const error = await refusedWith(Registration.register(store, ctx(trust), callback({ requestType: "Delete" })));
    expect(error?.code).toBe("stack_not_deleted");
    expect((await Integration.getById(store, integration.integrationId))?.status).toBe("connected");
  });

  it.each([
    ["DELETE_IN_PROGRESS", { kind: "found", stack: liveStack({ status: "DELETE_IN_PROGRESS" }) }],
    ["gone", { kind: "gone" }],
  ] as const)("removes the integration and frees the account when the stack is %s", async (_, live) => {
    const trust = trusting();
    await connectedWith(trust);
    trust.live = live;
    const removed = await Registration.register(store, ctx(trust), callback({ requestType: "Delete" }));
    expect(removed).toMatchObject({ status: "removed", autoUpdate: false, planState: "ineligible" });
    expect(
      (await store.service.entities.accountGuard.get({ accountId: account, region: "eu-west-1" }).go()).data,
    ).toBeNull();
  });

  it("moves to access-lost, never removed, when the role is gone and the deletion cannot be confirmed", async () => {
    const trust = trusting();
    await connectedWith(trust);
    trust.accepts = () => ({ kind: "denied", message: "no such role" });
    const lost = await Registration.register(store, ctx(trust), callback({ requestType: "Delete" }));
    expect(lost).toMatchObject({ status: "access-lost", planState: "ineligible" });
    expect(await auditOf()).toContain("access.lost:deletion_unconfirmed");
  });

  it("refuses forged and replayed Updates: the recorded version never moves on a callback's word", async () => {
    const trust = trusting();
    await connectedWith(trust);
    const forged = await refusedWith(
      Registration.register(
        store,
        ctx(trust),
        callback({ requestType: "Update", requestId: "f", templateVersion: "1.1.0" }),
      ),
    );
    expect(forged?.code).toBe("version_not_live");
    trust.set({ status: "UPDATE_IN_PROGRESS", templateVersion: "1.1.0" });
    const updated = await Registration.register(
      store,
      ctx(trust),
      callback({ requestType: "Update", requestId: "u", templateVersion: "1.1.0" }),
    );
    expect(updated).toMatchObject({ currentVersion: "1.1.0", currentSequence: 2 });
    const replayed = await refusedWith(Registration.register(store, ctx(trust), callback({ requestId: "old" })));
    expect(replayed?.code).toBe("version_not_live");
    trust.set({ status: "UPDATE_COMPLETE", templateVersion: "1.0.0" });
    const regressed = await refusedWith(Registration.register(store, ctx(trust), callback({ requestId: "old" })));
    expect(regressed?.code).toBe("version_regressed");
    expect(await Integration.getById(store, integration.integrationId)).toMatchObject({ currentVersion: "1.1.0" });
  });

  it("takes a replay of the applied request as harmless, without reading the stack again", async () => {
    const trust = trusting();
    const first = await connectedWith(trust);
    const reads = trust.stackReads;
    const replay = await Registration.register(store, ctx(trust), callback());
    expect(replay.rev).toBe(first.rev);
    expect(trust.stackReads).toBe(reads);
  });

  it.each([
    ["gone", { kind: "gone" }],
    ["rolled back", { kind: "found", stack: liveStack({ status: "ROLLBACK_COMPLETE" }) }],
  ] as const)(
    "reconnects a Create from the recreated stack when the recorded one is %s, never while it lives",
    async (_, dead) => {
      // A connect applied, its answer and its rollback's Delete callback lost: the integration
      // stays connected to a dead stack, and the customer's recreate must still connect.
      const trust = trusting();
      await connectedWith(trust);
      const recreated = stackId.replace(/abc$/, "def");
      const stacks: Record<string, LiveStackOutcome> = {
        [stackId]: { kind: "found", stack: liveStack({ status: "CREATE_COMPLETE" }) },
        [recreated]: {
          kind: "found",
          stack: liveStack({ stackId: recreated, operationAt: new Date("2026-11-21T12:00:00.000Z") }),
        },
      };
      // The scripted account answers one stack for every id; here the id decides.
      trust.readStack = async (request) => {
        const { stackId: id } = request as Parameters<AssumeProbe["readStack"]>[0];
        const assumed = trust.accepts(request.roleArn, request.externalId);
        return assumed.kind === "assumed" ? stacks[id]! : assumed;
      };
      const again = callback({ requestId: "req-recreate", stackId: recreated });
      expect((await refusedWith(Registration.register(store, ctx(trust), again)))?.code).toBe("stack_mismatch");
      expect(await Integration.getById(store, integration.integrationId)).toMatchObject({
        status: "connected",
        stackId,
      });

      stacks[stackId] = dead;
      const reconnected = await Registration.register(store, ctx(trust), again);
      expect(reconnected).toMatchObject({ status: "connected", stackId: recreated, lastRequestId: "req-recreate" });
      expect((await auditOf()).filter((a) => a === "integration.connected")).toHaveLength(2);
      const guard = await store.service.entities.accountGuard.get({ accountId: account, region: "eu-west-1" }).go();
      expect(guard.data?.integrationId).toBe(integration.integrationId);
    },
  );

  it("refuses a different role ARN for a connected integration", async () => {
    const trust = trusting();
    await connectedWith(trust);
    const error = await refusedWith(
      Registration.register(
        store,
        ctx(trust),
        callback({ integrationRoleArn: `arn:aws:iam::${account}:role/Acme-other` }),
      ),
    );
    expect(error?.code).toBe("role_arn_changed");
    expect((await Integration.getById(store, integration.integrationId))?.integrationRoleArn).toBe(roleArn);
  });
});

describe("refusals", () => {
  it.each([
    ["a wrong ExternalId", () => callback({ externalId: "x".repeat(43) }), "registration_rejected"],
    [
      "a mismatched account in the role ARN",
      () => callback({ integrationRoleArn: "arn:aws:iam::999999999999:role/Acme-integration-role" }),
      "account_mismatch",
    ],
    [
      "a role outside the prefix",
      () => callback({ updateRoleArn: `arn:aws:iam::${account}:role/Admin` }),
      "role_outside_prefix",
    ],
    ["the right ExternalId from another region", () => callback({ region: "eu-central-1" }), "region_mismatch"],
  ])("refuses %s without naming the integration's account or Region", async (_, make, code) => {
    const error = (await refusedWith(Registration.register(store, ctx(trusting()), make()))) as Error & {
      code: string;
    };
    expect(error.code).toBe(code);
    expect(error.message).not.toContain(account);
    expect(error.message).not.toContain("eu-west-1");
    expect((await Integration.getById(store, integration.integrationId))?.status).toBe("pending");
  });

  it("counts a flood of refusals in one item per window, with one audit event", async () => {
    await connectedWith(trusting());
    for (let i = 0; i < 30; i++)
      await refusedWith(Registration.register(store, ctx(trusting()), callback({ region: "eu-central-1" })));
    const [counter, ...older] = await Registration.refusalsOf(store, integration.integrationId);
    expect(older).toEqual([]);
    expect(counter).toMatchObject({ count: 30, lastReason: "region_mismatch", firstSeen: store.now().toISOString() });
    expect((await auditOf()).filter((a) => a.startsWith("registration.refused"))).toEqual([
      "registration.refused:region_mismatch",
    ]);
    store.clock.advance(3_600_000);
    await refusedWith(Registration.register(store, ctx(trusting()), callback({ region: "eu-central-1" })));
    expect(await Registration.refusalsOf(store, integration.integrationId)).toHaveLength(2);
  });

  it("writes nothing but a metric for an unknown account", async () => {
    metrics.length = 0;
    const before = (await Event.byTenant(store, "ten_a")).items.length;
    const error = await refusedWith(
      Registration.register(
        store,
        ctx(trusting()),
        callback({ accountId: "777777777777", externalId: "y".repeat(43) }),
      ),
    );
    expect(error?.code).toBe("registration_rejected");
    expect((await Event.byTenant(store, "ten_a")).items).toHaveLength(before);
    expect(metrics).toContainEqual(expect.objectContaining({ Reason: "registration_rejected", RefusedCallbacks: 1 }));
    expect(JSON.stringify(metrics)).not.toContain("777777777777");
  });
});

describe("access checks", () => {
  it("moves a connected integration to access-lost when AssumeRole is denied, and back when it works again", async () => {
    let roleExists = true;
    const trust = trusting();
    const accepts = trust.accepts;
    trust.accepts = (arn, externalId) =>
      roleExists ? accepts(arn, externalId) : { kind: "denied", message: "no such role" };
    const connected = await connectedWith(trust);
    roleExists = false;
    const lost = await Registration.verifyAccess(store, ctx(trust), connected, "tenant:ten_a");
    expect(lost).toMatchObject({ access: "lost", status: "access-lost" });
    const events = (await Event.byIntegration(store, integration.integrationId)).items;
    expect(events.find((e) => e.action === "access.lost")).toMatchObject({ notify: true, reason: "assume_denied" });
    roleExists = true;
    expect(await Registration.verifyAccess(store, ctx(trust), lost.integration, "tenant:ten_a")).toMatchObject({
      access: "ok",
      status: "connected",
    });
  });

  it("does not change state when the probe itself fails (throttling, network)", async () => {
    const trust = trusting();
    const connected = await connectedWith(trust);
    trust.accepts = () => ({ kind: "error", message: "Throttling: Rate exceeded" });
    const error = await Registration.verifyAccess(store, ctx(trust), connected, "tenant:ten_a").catch((e) => e);
    expect(isStackfleetError(error, "unavailable")).toBe(true);
    expect((await Integration.getById(store, integration.integrationId))?.status).toBe("connected");
  });
});
