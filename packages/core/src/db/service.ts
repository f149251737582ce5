import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity, Service } from "electrodb";
import { controlSchema } from "../control/control.entity";
import { eventSchema } from "../event/event.entity";
import { accountGuardSchema, externalIdIndexSchema } from "../integration/guard.entity";
import { integrationSchema } from "../integration/integration.entity";
import { callbackRefusalSchema } from "../integration/refusal.entity";
import { waveSizePartSchema } from "../rollout/plan-size.entity";
import { integrationOutcomeSchema, waveTallySchema } from "../rollout/progress.entity";
import { runSchema } from "../run/run.entity";
import { stackLockSchema } from "../run/stack-lock.entity";
import { changelogPairSchema } from "../version/changelog-pair.entity";
import { versionSchema } from "../version/version.entity";

/**
 * One ElectroDB service over the one table. Built per (client, table) rather than as module
 * singletons so tests and the local runtime can each point it at their own table.
 */
export function createService(client: DynamoDBDocumentClient, table: string) {
  const config = { client, table };
  return new Service(
    {
      integration: new Entity(integrationSchema, config),
      version: new Entity(versionSchema, config),
      run: new Entity(runSchema, config),
      stackLock: new Entity(stackLockSchema, config),
      event: new Entity(eventSchema, config),
      control: new Entity(controlSchema, config),
      accountGuard: new Entity(accountGuardSchema, config),
      externalIdIndex: new Entity(externalIdIndexSchema, config),
      callbackRefusal: new Entity(callbackRefusalSchema, config),
      waveTally: new Entity(waveTallySchema, config),
      waveSizePart: new Entity(waveSizePartSchema, config),
      integrationOutcome: new Entity(integrationOutcomeSchema, config),
      changelogPair: new Entity(changelogPairSchema, config),
    },
    config,
  );
}

export type StackfleetService = ReturnType<typeof createService>;
export type Entities = StackfleetService["entities"];

/** The entities as a `transaction.write` callback receives them. */
export type TransactionEntities = Parameters<Parameters<StackfleetService["transaction"]["write"]>[0]>[0];
