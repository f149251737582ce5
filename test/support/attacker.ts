import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Deps } from "@stackfleet/core/context";
import { createService } from "@stackfleet/core/db/service";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Run } from "@stackfleet/core/run";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { inject, vi } from "vitest";
import type { TestStack } from "./local-stack";

/**
 * Someone who owns the API (issue 11): its table access, through a client of its own (so nothing
 * it writes is announced to the updater), and its right to create schedules in the updater's group.
 */
export function attackerOf(stack: TestStack) {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: inject("dynamoEndpoint"),
      region: "local",
      credentials: { accessKeyId: "attacker", secretAccessKey: "attacker" },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  const deps: Deps = { ...stack.deps, service: createService(doc, stack.tableName) };
  const keyOf = (params: unknown) => (params as { Key: Record<string, string> }).Key;

  async function setFields(Key: Record<string, string>, set: Record<string, unknown>) {
    const names = Object.keys(set);
    await doc.send(
      new UpdateCommand({
        TableName: stack.tableName,
        Key,
        UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :v${i}`).join(", ")}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((k, i) => [`#f${i}`, k])),
        ExpressionAttributeValues: Object.fromEntries(Object.values(set).map((v, i) => [`:v${i}`, v])),
      }),
    );
  }

  return {
    deps,
    /** A run in the table and a one-shot schedule in the updater's group, due now. */
    async scheduleNow(integration: IntegrationRecord, version: Pick<VersionRecord, "version" | "sequence">) {
      const now = stack.sandbox.clock.now();
      const run = await Run.create(
        deps,
        {
          integrationId: integration.integrationId,
          tenantId: integration.tenantId,
          version: version.version,
          sequence: version.sequence,
          attempt: 1,
          scheduledFor: now,
        },
        { actor: "system:planner", action: "update.scheduled" },
      );
      await stack.scheduler.scheduleRun({ runId: run.runId, at: now, kind: "run", attempt: 1 });
      return run;
    },
    /** Raw writes to a version item it cannot sign. */
    rewriteVersion: (version: VersionRecord, set: Record<string, unknown>) =>
      setFields(keyOf(deps.service.entities.version.get({ sequence: version.sequence }).params()), set),
    /** The integration's recorded version is gone, so no table check stands in the way. */
    async forgetCurrentVersion(integration: IntegrationRecord) {
      const Key = keyOf(deps.service.entities.integration.get({ integrationId: integration.integrationId }).params());
      await doc.send(
        new UpdateCommand({
          TableName: stack.tableName,
          Key,
          UpdateExpression: "REMOVE currentVersion, currentSequence",
        }),
      );
    },
  };
}

const CHANGES = new Set(["ExecuteChangeSetCommand", "UpdateStackCommand", "CreateStackCommand", "DeleteStackCommand"]);

/** CloudFormation calls made by anyone in this process (the executor runs in it), while it lasts. */
export function cloudFormationCalls() {
  const spy = vi.spyOn(CloudFormationClient.prototype, "send");
  return {
    all: () => spy.mock.calls.length,
    /** Calls that change a stack. */
    changes: () => spy.mock.calls.filter(([command]) => CHANGES.has(command.constructor.name)).length,
    stop: () => spy.mockRestore(),
  };
}

/** Every CloudFormation call goes through; `after` runs once the named command has answered. */
export function afterCloudFormationCommand(name: string, after: () => Promise<void>) {
  const original = CloudFormationClient.prototype.send;
  const spy = vi.spyOn(CloudFormationClient.prototype, "send").mockImplementation(async function (
    this: CloudFormationClient,
    ...args: Parameters<CloudFormationClient["send"]>
  ) {
    const out = await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (args[0].constructor.name === name) await after();
    return out;
  } as CloudFormationClient["send"]);
  return {
    count: (command: string) => spy.mock.calls.filter(([c]) => c.constructor.name === command).length,
    stop: () => spy.mockRestore(),
  };
}
