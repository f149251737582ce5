import { createHash } from "node:crypto";
import { DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Run } from "@stackfleet/core/run";
import { firstSeenKey, updaterTableSchema } from "@stackfleet/core/updater/table";
import { Publish } from "@stackfleet/core/version";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { LocalTemplateStore } from "@stackfleet/local/dev/template-store";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { attackerOf, cloudFormationCalls } from "../support/attacker";
import { installIntegration, startTestStack, type TestStack } from "../support/local-stack";

/**
 * The executor reads its floor (first seen, high-water mark, stop) while the template is fetched
 * and verified, under the digest the version record names (attempt.ts, floor.ts readFloorAhead).
 * That digest is only a hint: an API that owns the table and the template bucket can point the
 * record at another key holding the same bytes — the signature still verifies — and at a digest
 * the updater met long ago. The floor must judge the verified manifest's own digest.
 */
const HOUR = 3_600_000;
const T0 = new Date("2026-11-21T12:00:00.000Z");
let stack: TestStack;
let integration: IntegrationRecord;
let version: VersionRecord;

beforeAll(async () => {
  stack = await startTestStack({
    startTime: T0,
    graceMs: 0,
    executor: { minGraceMs: 24 * HOUR, retryDelaysMs: [6 * HOUR], pollMs: { initial: 1_000, max: 5_000 } },
  });
  integration = await installIntegration(stack, "ten_ahead", "333333333333", "eu-west-3");
  const bytes = new TextEncoder().encode(stack.customerTemplate("1.1.0", []));
  version = await Publish.publish(
    stack.deps,
    stack.deps.publishing,
    { templateBytes: bytes, version: "1.1.0" },
    "operator:test",
  );
}, 180_000);
afterAll(() => stack?.stop());

describe("the floor read ahead of verification", () => {
  it("counts only under the verified manifest's digest: a record pointing elsewhere gains no grace", async () => {
    const real = version.templateSha256;
    const elsewhere = createHash("sha256").update("a key the attacker chose").digest("hex");
    const manifestSha = createHash("sha256").update(Buffer.from(version.manifest, "base64")).digest("hex");
    // The updater "met" the forged digest two days ago; the real one only now.
    await stack.updater.client.send(
      new PutCommand({
        TableName: stack.updater.tableName,
        Item: {
          [updaterTableSchema.partitionKey]: firstSeenKey(`${elsewhere}.${manifestSha}`),
          firstSeenAt: new Date(T0.getTime() - 48 * HOUR).toISOString(),
        },
      }),
    );
    const attacker = attackerOf(stack);
    await attacker.rewriteVersion(version, { templateSha256: elsewhere });
    // The bucket serves the real bytes under the forged key too; the floor's read is already out
    // when the template is asked for (the overlap this test also guards).
    let floorReadOut = false;
    let floorReadBeforeTemplate: boolean | undefined;
    const documents = DynamoDBDocumentClient.prototype.send;
    vi.spyOn(DynamoDBDocumentClient.prototype, "send").mockImplementation(function (
      this: DynamoDBDocumentClient,
      ...args: unknown[]
    ) {
      const command = args[0] as { constructor: { name: string }; input?: { RequestItems?: object } };
      if (
        command.constructor.name === "BatchGetCommand" &&
        stack.updater.tableName in (command.input?.RequestItems ?? {})
      )
        floorReadOut = true;
      return (documents as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    } as DynamoDBDocumentClient["send"]);
    const get = LocalTemplateStore.prototype.get;
    vi.spyOn(LocalTemplateStore.prototype, "get").mockImplementation(function (this: LocalTemplateStore, sha) {
      floorReadBeforeTemplate ??= floorReadOut;
      return get.call(this, sha === elsewhere ? real : sha);
    });
    const calls = cloudFormationCalls();
    const run = await attacker.scheduleNow(integration, version);
    await stack.sandbox.control.advanceClock(120_000);
    const after = await Run.get(stack.deps, run.runId);
    const changes = calls.changes();
    calls.stop();
    vi.restoreAllMocks();
    expect(floorReadBeforeTemplate).toBe(true);
    expect(changes).toBe(0);
    // Deferred to the real digest's first sighting + 24 h, not let through by the forged one.
    expect(after).toMatchObject({ state: "scheduled" });
    expect(Date.parse(after.scheduledFor)).toBeGreaterThan(T0.getTime() + 23 * HOUR);
  }, 300_000);
});
