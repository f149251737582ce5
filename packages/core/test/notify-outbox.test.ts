import { PublishBatchCommand, SNSClient } from "@aws-sdk/client-sns";
import { createLocalNotifier } from "@stackfleet/local/dev/notifier";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { append, byIntegration } from "../src/event/event";
import { createSnsNotifier, type Notification, Outbox } from "../src/notify/index";

const sns = mockClient(SNSClient);
const topicArn = "arn:aws:sns:eu-west-1:111111111111:stackfleet-notifications";
const note: Notification = {
  eventId: "evt_1",
  at: "2026-11-21T12:00:00.000Z",
  action: "update.scheduled",
  actor: "system:planner",
  tenantId: "ten_a",
  integrationId: "int_1",
  version: "1.1.0",
};

describe("SNS notifier", () => {
  beforeEach(() => sns.reset());

  it("publishes a batch with tenant, integration and action as message attributes", async () => {
    sns.on(PublishBatchCommand).resolves({ Successful: [{ Id: "0" }], Failed: [] });
    await createSnsNotifier({ client: new SNSClient({}), topicArn }).publish([
      note,
      { ...note, eventId: "evt_2", tenantId: undefined, integrationId: undefined, action: "version.announced" },
    ]);
    const input = sns.commandCalls(PublishBatchCommand)[0]!.args[0].input;
    expect(input.TopicArn).toBe(topicArn);
    expect(input.PublishBatchRequestEntries?.[0]).toEqual({
      Id: "0",
      Message: JSON.stringify(note),
      MessageAttributes: {
        tenant: { DataType: "String", StringValue: "ten_a" },
        integration: { DataType: "String", StringValue: "int_1" },
        action: { DataType: "String", StringValue: "update.scheduled" },
      },
    });
    // No empty attributes for a system-wide announcement (SNS refuses empty values).
    expect(input.PublishBatchRequestEntries?.[1]?.MessageAttributes).toEqual({
      action: { DataType: "String", StringValue: "version.announced" },
    });
  });

  it("fails the batch when SNS refuses an entry, so it stays undelivered", async () => {
    sns
      .on(PublishBatchCommand)
      .resolves({ Successful: [], Failed: [{ Id: "0", Code: "InternalError", SenderFault: false }] });
    await expect(createSnsNotifier({ client: new SNSClient({}), topicArn }).publish([note])).rejects.toThrow(
      /InternalError/,
    );
  });
});

describe("outbox", () => {
  let store: TestStore;
  beforeEach(async () => {
    store = await createTestStore();
  });

  it("delivers undelivered customer-visible events once, stamps them, and leaves audit-only events alone", async () => {
    await append(store, {
      actor: "tenant:ten_a",
      action: "version.skipped",
      tenantId: "ten_a",
      integrationId: "int_1",
      notify: true,
    });
    await append(store, {
      actor: "tenant:ten_a",
      action: "access.verified",
      tenantId: "ten_a",
      integrationId: "int_1",
    });
    const lines: string[] = [];
    const notifier = createLocalNotifier({ log: (line) => lines.push(line) });

    expect(await Outbox.sweep(store, notifier, { integrationId: "int_1" })).toBe(1);
    expect(await Outbox.sweep(store, notifier, { tenantId: "ten_a" })).toBe(0);

    expect(notifier.delivered.map((n) => n.action)).toEqual(["version.skipped"]);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "info",
      message: "notification",
      action: "version.skipped",
      integrationId: "int_1",
    });
    const events = (await byIntegration(store, "int_1")).items;
    expect(events.find((e) => e.action === "version.skipped")?.deliveredAt).toBe(store.now().toISOString());
    expect(events.find((e) => e.action === "access.verified")?.deliveredAt).toBeUndefined();
  });

  it("keeps an event undelivered when the notifier fails, for the next sweep", async () => {
    await append(store, {
      actor: "tenant:ten_a",
      action: "version.skipped",
      tenantId: "ten_a",
      integrationId: "int_1",
      notify: true,
    });
    const failing = { publish: async () => Promise.reject(new Error("topic unavailable")) };
    await expect(Outbox.sweep(store, failing, { tenantId: "ten_a" })).rejects.toThrow("topic unavailable");
    const notifier = createLocalNotifier();
    expect(await Outbox.sweep(store, notifier, { tenantId: "ten_a" })).toBe(1);
  });
});
