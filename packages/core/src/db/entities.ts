import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
// Entity from its own module: "electrodb"'s index is CommonJS and would bring the Service (~20 KiB)
// into the executor's bundle (db/lean-service.ts).
import { Entity } from "electrodb/src/entity";
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
 * The entities the executor reads and writes, over (client, table): all but the two only the API
 * uses, which its lean service (db/lean-service.ts) leaves out of its bundle and its cold start.
 */
export function createExecutorEntities(client: DynamoDBDocumentClient, table: string) {
  const config = { client, table };
  return {
    integration: new Entity(integrationSchema, config),
    version: new Entity(versionSchema, config),
    run: new Entity(runSchema, config),
    stackLock: new Entity(stackLockSchema, config),
    event: new Entity(eventSchema, config),
    control: new Entity(controlSchema, config),
    accountGuard: new Entity(accountGuardSchema, config),
    externalIdIndex: new Entity(externalIdIndexSchema, config),
    waveTally: new Entity(waveTallySchema, config),
    waveSizePart: new Entity(waveSizePartSchema, config),
    integrationOutcome: new Entity(integrationOutcomeSchema, config),
  };
}

/** Every entity of the one table (the Service's): the executor's, the callback refusals and changelog pairs. */
export function createEntities(client: DynamoDBDocumentClient, table: string) {
  const config = { client, table };
  return {
    ...createExecutorEntities(client, table),
    callbackRefusal: new Entity(callbackRefusalSchema, config),
    changelogPair: new Entity(changelogPairSchema, config),
  };
}
