import { describe, expect, it } from "vitest";
import { createDocumentClient } from "../src/db/client";
import { createService } from "../src/db/service";
import { writeShardOf } from "../src/db/write-shards";
import { versionItem } from "./support/records";

// Offline: .params() shows the exact keys each access pattern reads and writes.
const { entities, collections } = createService(createDocumentClient({ region: "local" }), "table");
const at = "2026-11-21T12:00:00.000Z";

describe("table keys", () => {
  it("integration: by id, activity collection, by tenant, by account+region, by plan pool", () => {
    const { Item } = entities.integration
      .create({
        integrationId: "int_1",
        tenantId: "ten_1",
        accountId: "333333333333",
        region: "eu-west-1",
        stackName: "Acme-integration",
        externalId: "x".repeat(40),
        status: "connected",
        autoUpdate: true,
        planState: "eligible",
        planShard: 7,
        createdAt: at,
        updatedAt: at,
      })
      .params();
    expect(Item).toMatchObject({
      pk: "$stackfleet#integrationid_int_1",
      sk: "$integration_1",
      gsi1pk: "$stackfleet#integrationid_int_1",
      gsi1sk: "$activity#integration_1",
      gsi2pk: "$stackfleet#tenantid_ten_1",
      gsi2sk: `$integration_1#createdat_${at.toLowerCase()}#integrationid_int_1`,
      gsi3pk: "$stackfleet#accountid_333333333333#region_eu-west-1",
      gsi3sk: "$integration_1#integrationid_int_1",
      gsi4pk: "$stackfleet#planstate_eligible#planshard_7",
      gsi4sk: "$integration_1#integrationid_int_1",
    });
  });

  it("version: latest first by zero-padded sequence, and by semver", () => {
    const q = entities.version.query.bySequence({}).params({ order: "desc" });
    expect(q).toMatchObject({
      ScanIndexForward: false,
      ExpressionAttributeValues: { ":pk": "$stackfleet", ":sk1": "$version_1#sequence_" },
    });
    const { Item } = entities.version.create(versionItem(at, { version: "1.2.0", sequence: 12 })).params();
    expect(Item).toMatchObject({ sk: "$version_1#sequence_0000000012", gsi1pk: "$stackfleet#version_1.2.0" });
  });

  it("run: by id, in the integration's activity by time, by version+state", () => {
    const { Item } = entities.run
      .create({
        runId: "run_1",
        integrationId: "int_1",
        tenantId: "ten_1",
        version: "1.2.0",
        sequence: 12,
        attempt: 1,
        state: "scheduled",
        scheduledFor: at,
        createdAt: at,
        updatedAt: at,
      })
      .params();
    expect(Item).toMatchObject({
      pk: "$stackfleet#runid_run_1",
      gsi1pk: "$stackfleet#integrationid_int_1",
      gsi1sk: `$activity#run_1#createdat_${at.toLowerCase()}#runid_run_1`,
      gsi2pk: `$stackfleet#version_1.2.0#shard_${writeShardOf("run_1")}`,
      gsi2sk: "$run_1#state_scheduled#runid_run_1",
      gsi3pk: `$stackfleet#shard_${writeShardOf("run_1")}`,
    });
  });

  it("event: by integration, tenant and version; a global event keys under '-'", () => {
    const scoped = entities.event
      .create({
        eventId: "evt_1",
        at,
        actor: "system:test",
        action: "x",
        integrationId: "int_1",
        tenantId: "ten_1",
        version: "1.2.0",
      })
      .params().Item;
    expect(scoped).toMatchObject({
      gsi1pk: "$stackfleet#integrationid_int_1",
      gsi1sk: `$activity#event_1#at_${at.toLowerCase()}#eventid_evt_1`,
      gsi2pk: "$stackfleet#tenantid_ten_1",
      gsi3pk: `$stackfleet#version_1.2.0#shard_${writeShardOf("evt_1")}`,
    });
    const global = entities.event.create({ eventId: "evt_2", at, actor: "operator:o", action: "halt" }).params().Item;
    expect(global).toMatchObject({ gsi1pk: "$stackfleet#integrationid_-", gsi2pk: "$stackfleet#tenantid_-" });
  });

  it("control: singleton by name", () => {
    const { Key } = entities.control.get({ name: "global" }).params();
    expect(Key).toEqual({ pk: "$stackfleet", sk: "$control_1#name_global" });
  });

  it("accountguard: one integration per account+region; externalidindex: by ExternalId hash", () => {
    expect(entities.accountGuard.get({ accountId: "333333333333", region: "eu-west-1" }).params().Key).toEqual({
      pk: "$stackfleet#accountid_333333333333#region_eu-west-1",
      sk: "$accountguard_1",
    });
    expect(entities.externalIdIndex.get({ externalIdHash: "ab12" }).params().Key).toEqual({
      pk: "$stackfleet#externalidhash_ab12",
      sk: "$externalidindex_1",
    });
  });

  it("rollout progress: a tally per version and wave, an outcome per version and integration", () => {
    expect(entities.waveTally.query.byVersion({ version: "1.2.0" }).params()).toMatchObject({
      ExpressionAttributeValues: { ":pk": "$stackfleet#version_1.2.0" },
    });
    expect(entities.integrationOutcome.get({ version: "1.2.0", integrationId: "int_1" }).params().Key).toMatchObject({
      pk: "$stackfleet#version_1.2.0#integrationid_int_1",
    });
  });

  it("the dashboard's integration + runs + events is one query on gsi1", () => {
    const q = collections.activity({ integrationId: "int_1" }).params();
    expect(q).toMatchObject({
      IndexName: "gsi1",
      KeyConditionExpression: "#pk = :pk and begins_with(#sk1, :sk1)",
      ExpressionAttributeValues: { ":pk": "$stackfleet#integrationid_int_1", ":sk1": "$activity" },
    });
  });
});
