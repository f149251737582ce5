import { beforeAll, describe, expect, it } from "vitest";
import { recordConnected } from "../../../test/support/integrations";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { readDelivery } from "../src/executor/records";
import type { IntegrationRecord } from "../src/integration/integration";
import { Run } from "../src/run/index";

// Attack on 6d11768: whoever can write schedules (the API's schedule-writer path) forges a
// payload naming a real run beside another tenant's integration and another version. The hint
// may only choose what is read: the records handed on are always the run's own.
let store: TestStore;
let victim: IntegrationRecord;
let other: IntegrationRecord;
let run: Run.RunRecord;

beforeAll(async () => {
  store = await createTestStore();
  victim = await recordConnected(store, "ten_victim", "111111111111", "eu-west-1");
  other = await recordConnected(store, "ten_other", "999999999999", "eu-west-1");
  run = await Run.create(
    store,
    {
      integrationId: victim.integrationId,
      tenantId: victim.tenantId,
      version: "1.1.0",
      sequence: 2,
      attempt: 1,
      scheduledFor: new Date(store.now().getTime() + 60_000),
    },
    { actor: "system:planner", action: "update.scheduled" },
  );
}, 60_000);

describe("a forged schedule hint", () => {
  it("naming another tenant's integration: the run's own integration is read, never the named one", async () => {
    const read = await readDelivery(store, run.runId, { integrationId: other.integrationId, sequence: 2 });
    expect(read.run?.runId).toBe(run.runId);
    expect(read.integration).toMatchObject({ integrationId: victim.integrationId, tenantId: "ten_victim" });
  });

  it("naming the run's integration with another version: nothing of the named version is handed on", async () => {
    const read = await readDelivery(store, run.runId, { integrationId: victim.integrationId, sequence: 1 });
    expect(read.integration?.integrationId).toBe(victim.integrationId);
    expect(read.version?.sequence === undefined || read.version.sequence === run.sequence).toBe(true);
  });

  it("naming keys that do not exist beside a real run: the run's own records, as without a hint", async () => {
    const hinted = await readDelivery(store, run.runId, { integrationId: "int_nope", sequence: 424242 });
    const plain = await readDelivery(store, run.runId);
    expect(hinted.integration?.integrationId).toBe(victim.integrationId);
    expect(hinted.integration).toEqual(plain.integration);
  });

  it("naming a run that does not exist: nothing is handed on, even with a real integration", async () => {
    const read = await readDelivery(store, "run_doesnotexist00", { integrationId: other.integrationId, sequence: 2 });
    expect(read).toEqual({ run: undefined, integration: undefined });
  });
});
