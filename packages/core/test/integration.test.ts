import { beforeEach, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import type { AssumeOutcome, AssumeProbe } from "../src/access/probe";
import { isStackfleetError } from "../src/error";
import { Event } from "../src/event";
import { Integration, Registration } from "../src/integration";
import type { IntegrationRecord } from "../src/integration/integration";

/** A scripted trust: which (role, externalId) pairs AssumeRole accepts. */
class ScriptedTrust implements AssumeProbe {
  calls: Array<{ roleArn: string; externalId?: string }> = [];
  constructor(public accepts: (roleArn: string, externalId?: string) => AssumeOutcome) {}
  async tryAssume(roleArn: string, externalId?: string) {
    this.calls.push({ roleArn, externalId });
    return this.accepts(roleArn, externalId);
  }
}

let store: TestStore;
let integration: IntegrationRecord;
const account = "333333333333";
const roleArn = `arn:aws:iam::${account}:role/Acme-integration-role`;
const requiresExternalId =
  (expected: () => string) =>
  (arn: string, externalId?: string): AssumeOutcome =>
    arn === roleArn && externalId === expected()
      ? { kind: "assumed" }
      : { kind: "denied", message: "not authorized to perform: sts:AssumeRole" };

beforeEach(async () => {
  store = await createTestStore();
  integration = await Integration.create(
    store,
    "ten_a",
    "Acme-integration",
    { accountId: account, region: "eu-west-1" },
    "tenant:ten_a",
  );
});

const callback = (over: Partial<Registration.RegistrationCallback> = {}): Registration.RegistrationCallback => ({
  requestType: "Create",
  externalId: integration.externalId,
  accountId: account,
  region: "eu-west-1",
  integrationRoleArn: roleArn,
  updateRoleArn: `arn:aws:iam::${account}:role/Acme-stack-updater`,
  serviceRoleArn: `arn:aws:iam::${account}:role/Acme-cfn-service`,
  stackId: `arn:aws:cloudformation:eu-west-1:${account}:stack/Acme-integration/abc`,
  stackName: "Acme-integration",
  templateVersion: "1.0.0",
  enableAutoUpdate: true,
  ...over,
});
const ctx = (probe: AssumeProbe) => ({ probe, stackPrefix: "Acme", proof: { sleep: async () => {} } });
const auditOf = async () =>
  (await Event.byIntegration(store, integration.integrationId)).items.map(
    (e) => `${e.action}${e.reason ? `:${e.reason}` : ""}`,
  );

describe("integrations", () => {
  it("generates an ExternalId of ≥ 32 chars in STS's charset, unique per integration", async () => {
    const other = await Integration.create(
      store,
      "ten_a",
      "Acme-integration",
      { accountId: "444444444444", region: "eu-west-1" },
      "tenant:ten_a",
    );
    for (const i of [integration, other]) expect(i.externalId).toMatch(/^[\w+=,.@:/-]{32,}$/);
    expect(other.externalId).not.toBe(integration.externalId);
  });

  it("refuses a second integration for the same account+region, even from another tenant", async () => {
    const error = await Integration.create(
      store,
      "ten_b",
      "Acme-integration",
      { accountId: account, region: "eu-west-1" },
      "tenant:ten_b",
    ).catch((e) => e);
    expect(error.code).toBe("integration_exists");
    expect((await Integration.list(store, "ten_b")).items).toHaveLength(0);
  });

  it("hides another tenant's integration as not found", async () => {
    const error = await Integration.get(store, "ten_b", integration.integrationId).catch((e) => e);
    expect(isStackfleetError(error, "not_found")).toBe(true);
  });

  it("frees the account+region when removed", async () => {
    await Integration.remove(store, integration, "tenant:ten_a");
    const again = await Integration.create(
      store,
      "ten_a",
      "Acme-integration",
      { accountId: account, region: "eu-west-1" },
      "tenant:ten_a",
    );
    expect(again.status).toBe("pending");
  });
});

describe("registration", () => {
  it("connects after proving AssumeRole works with the ExternalId and fails without it", async () => {
    const trust = new ScriptedTrust(requiresExternalId(() => integration.externalId));
    const connected = await Registration.register(store, ctx(trust), callback());
    expect(connected).toMatchObject({
      status: "connected",
      integrationRoleArn: roleArn,
      currentVersion: "1.0.0",
      planState: "eligible",
    });
    expect(trust.calls).toEqual([
      { roleArn, externalId: integration.externalId },
      { roleArn, externalId: undefined },
    ]);
    expect(await auditOf()).toContain("integration.connected");
  });

  it("retries briefly while IAM catches up", async () => {
    let denials = 2;
    const trust = new ScriptedTrust((arn, externalId) =>
      externalId && denials-- > 0
        ? { kind: "denied", message: "eventual consistency" }
        : requiresExternalId(() => integration.externalId)(arn, externalId),
    );
    expect((await Registration.register(store, ctx(trust), callback())).status).toBe("connected");
  });

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
  ])("refuses %s with an audit event and no state change", async (_, make, code) => {
    const trust = new ScriptedTrust(requiresExternalId(() => integration.externalId));
    const error = await Registration.register(store, ctx(trust), make()).catch((e) => e);
    expect(error.code).toBe(code);
    expect((await Integration.getById(store, integration.integrationId))?.status).toBe("pending");
    expect(await auditOf()).toContain(`registration.refused:${code}`);
  });

  it("refuses a role that trusts the vendor without an ExternalId condition", async () => {
    const trust = new ScriptedTrust(() => ({ kind: "assumed" }));
    const error = await Registration.register(store, ctx(trust), callback()).catch((e) => e);
    expect(error.code).toBe("external_id_not_enforced");
    expect((await Integration.getById(store, integration.integrationId))?.status).toBe("pending");
    expect(await auditOf()).toContain("registration.refused:external_id_not_enforced");
  });

  it("treats a replay as harmless and refuses a different role ARN for a connected integration", async () => {
    const trust = new ScriptedTrust(requiresExternalId(() => integration.externalId));
    const first = await Registration.register(store, ctx(trust), callback());
    const replay = await Registration.register(store, ctx(trust), callback());
    expect(replay.rev).toBe(first.rev);
    const error = await Registration.register(
      store,
      ctx(trust),
      callback({ integrationRoleArn: `arn:aws:iam::${account}:role/Acme-other` }),
    ).catch((e) => e);
    expect(error.code).toBe("role_arn_changed");
    expect((await Integration.getById(store, integration.integrationId))?.integrationRoleArn).toBe(roleArn);
    expect(await auditOf()).toContain("registration.refused:role_arn_changed");
  });

  it("honours the stack's EnableAutoUpdate=false, and lifts only that opt-out when it flips back", async () => {
    const trust = new ScriptedTrust(requiresExternalId(() => integration.externalId));
    const off = await Registration.register(store, ctx(trust), callback({ enableAutoUpdate: false }));
    expect(off).toMatchObject({
      autoUpdate: false,
      planState: "ineligible",
      autoUpdateReason: Registration.STACK_OPT_OUT,
    });
    const on = await Registration.register(
      store,
      ctx(trust),
      callback({ requestType: "Update", enableAutoUpdate: true }),
    );
    expect(on).toMatchObject({ autoUpdate: true, planState: "eligible" });
    expect(on.autoUpdateReason).toBeUndefined();
    const tenantOff = await Integration.setAutoUpdate(store, on, false, "tenant:ten_a", "change freeze");
    const still = await Registration.register(
      store,
      ctx(trust),
      callback({ requestType: "Update", templateVersion: "1.0.1" }),
    );
    expect(still).toMatchObject({ autoUpdate: false, autoUpdateReason: "change freeze", currentVersion: "1.0.1" });
    expect(tenantOff.rev).toBeLessThan(still.rev);
  });

  it("marks the integration removed when the stack is deleted", async () => {
    const trust = new ScriptedTrust(requiresExternalId(() => integration.externalId));
    await Registration.register(store, ctx(trust), callback());
    const removed = await Registration.register(store, ctx(trust), callback({ requestType: "Delete" }));
    expect(removed).toMatchObject({ status: "removed", autoUpdate: false, planState: "ineligible" });
  });
});

describe("access checks", () => {
  it("moves a connected integration to access-lost when AssumeRole is denied, and back when it works again", async () => {
    let roleExists = true;
    const trust = new ScriptedTrust((arn, externalId) =>
      roleExists
        ? requiresExternalId(() => integration.externalId)(arn, externalId)
        : { kind: "denied", message: "no such role" },
    );
    const connected = await Registration.register(store, ctx(trust), callback());
    roleExists = false;
    const lost = await Registration.verifyAccess(store, ctx(trust), connected, "tenant:ten_a");
    expect(lost).toMatchObject({ access: "lost", status: "access-lost" });
    expect(lost.integration.planState).toBe("ineligible");
    const events = (await Event.byIntegration(store, integration.integrationId)).items;
    expect(events.find((e) => e.action === "access.lost")).toMatchObject({ notify: true, reason: "assume_denied" });
    roleExists = true;
    expect(await Registration.verifyAccess(store, ctx(trust), lost.integration, "tenant:ten_a")).toMatchObject({
      access: "ok",
      status: "connected",
    });
  });

  it("does not change state when the probe itself fails (throttling, network)", async () => {
    const trust = new ScriptedTrust(requiresExternalId(() => integration.externalId));
    const connected = await Registration.register(store, ctx(trust), callback());
    trust.accepts = () => ({ kind: "error", message: "Throttling: Rate exceeded" });
    const error = await Registration.verifyAccess(store, ctx(trust), connected, "tenant:ten_a").catch((e) => e);
    expect(isStackfleetError(error, "unavailable")).toBe(true);
    expect((await Integration.getById(store, integration.integrationId))?.status).toBe("connected");
  });
});
