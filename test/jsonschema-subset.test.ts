import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { Entity, Service } from "electrodb";
import { describe, expect, it } from "vitest";
import * as subset from "../infra/jsonschema-subset";
import { controlSchema } from "../packages/core/src/control/control.entity";
import { createService } from "../packages/core/src/db/service";
import { eventSchema } from "../packages/core/src/event/event.entity";
import { accountGuardSchema, externalIdIndexSchema } from "../packages/core/src/integration/guard.entity";
import { integrationSchema } from "../packages/core/src/integration/integration.entity";
import { callbackRefusalSchema } from "../packages/core/src/integration/refusal.entity";
import { waveSizePartSchema } from "../packages/core/src/rollout/plan-size.entity";
import { integrationOutcomeSchema, waveTallySchema } from "../packages/core/src/rollout/progress.entity";
import { runSchema } from "../packages/core/src/run/run.entity";
import { stackLockSchema } from "../packages/core/src/run/stack-lock.entity";
import { changelogPairSchema } from "../packages/core/src/version/changelog-pair.entity";
import { versionSchema } from "../packages/core/src/version/version.entity";

// The executor's bundle swaps ElectroDB's jsonschema for infra/jsonschema-subset.ts. ElectroDB's
// own validations module, loaded once against each validator, must answer every question alike.
type Validations = { model(model: unknown): void; testModel(model: unknown): [boolean, string] };
const require = createRequire(import.meta.url);
const validationsPath = join(dirname(require.resolve("electrodb")), "src", "validations.js");
const jsonschemaPath = require.resolve("jsonschema", { paths: [dirname(validationsPath)] });

function loadValidations(jsonschema?: object): Validations {
  const saved = { validations: require.cache[validationsPath], jsonschema: require.cache[jsonschemaPath] };
  delete require.cache[validationsPath];
  if (jsonschema)
    require.cache[jsonschemaPath] = { id: jsonschemaPath, loaded: true, exports: jsonschema } as NodeModule;
  try {
    return require(validationsPath) as Validations;
  } finally {
    require.cache[validationsPath] = saved.validations;
    require.cache[jsonschemaPath] = saved.jsonschema;
  }
}
const real = loadValidations();
const lite = loadValidations(subset);

const models: Record<string, object> = {
  integration: integrationSchema,
  version: versionSchema,
  run: runSchema,
  stackLock: stackLockSchema,
  event: eventSchema,
  control: controlSchema,
  accountGuard: accountGuardSchema,
  externalIdIndex: externalIdIndexSchema,
  callbackRefusal: callbackRefusalSchema,
  waveTally: waveTallySchema,
  waveSizePart: waveSizePartSchema,
  integrationOutcome: integrationOutcomeSchema,
  changelogPair: changelogPairSchema,
};

const outcome = (validations: Validations, model: unknown) => {
  try {
    validations.model(model);
    return "valid";
  } catch (error) {
    return (error as Error).message;
  }
};

// A small well-formed model to break one way at a time.
const base = () => ({
  model: { entity: "thing", version: "1", service: "svc" },
  attributes: {
    id: { type: "string", required: true, watch: ["other"], padding: { length: 4, char: "0" } },
    other: { type: ["a", "b"], validate: /x/, get: (v: unknown) => v, set: (v: unknown) => v },
    short: "string",
  } as Record<string, unknown>,
  indexes: {
    primary: {
      pk: { field: "pk", composite: ["id"], casing: "none" },
      sk: { field: "sk", composite: [] as string[] },
    },
  } as Record<string, Record<string, unknown>>,
});
type Model = ReturnType<typeof base>;
const broken: Record<string, (m: Model) => unknown> = {
  "no indexes": ({ indexes: _, ...m }) => m,
  "empty indexes": (m) => ({ ...m, indexes: {} }),
  "index without pk": (m) => ({ ...m, indexes: { primary: { sk: m.indexes.primary?.sk } } }),
  "unknown casing": (m) => ({ ...m, indexes: { primary: { ...m.indexes.primary, pk: { casing: "shout" } } } }),
  "composite not an array": (m) => ({ ...m, indexes: { primary: { pk: { composite: "id" } } } }),
  "collection a number": (m) => ({ ...m, indexes: { primary: { ...m.indexes.primary, collection: 5 } } }),
  "condition not a function": (m) => ({ ...m, indexes: { primary: { ...m.indexes.primary, condition: "x" } } }),
  "attribute without type": (m) => ({ ...m, attributes: { ...m.attributes, id: { field: "id" } } }),
  "attribute a number": (m) => ({ ...m, attributes: { ...m.attributes, id: 5 } }),
  "validate a string": (m) => ({ ...m, attributes: { id: { type: "string", validate: "x" } } }),
  "get not a function": (m) => ({ ...m, attributes: { id: { type: "string", get: 1 } } }),
  "watch of numbers": (m) => ({ ...m, attributes: { id: { type: "string", watch: [1, "a", 2] } } }),
  "padding without char": (m) => ({ ...m, attributes: { id: { type: "string", padding: { length: 2 } } } }),
  "odd attribute names": (m) => ({ ...m, attributes: { "a.b": { field: 1 }, "0x": {}, "7": {} } }),
  "entity a number": (m) => ({ ...m, model: { ...m.model, entity: 5 } }),
  "no model": ({ model: _, ...m }) => m,
  "filter not a function": (m) => ({ ...m, filters: { mine: "x" } }),
  "cast unknown": (m) => ({ ...m, attributes: { id: { type: "string", cast: "date" } } }),
};

describe("the executor's jsonschema subset", () => {
  it("covers every entity of the service", () => {
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: "us-east-1" }));
    expect(Object.keys(models).sort()).toEqual(Object.keys(createService(client, "table").entities).sort());
  });

  it.each(Object.entries(models))("accepts the %s model, as jsonschema does", (_, model) => {
    expect(outcome(real, model)).toBe("valid");
    expect(outcome(lite, model)).toBe("valid");
    expect(lite.testModel(model)).toEqual([true, ""]);
  });

  it("accepts the well-formed test model and ElectroDB's beta model form alike", () => {
    const { model, ...rest } = base();
    for (const m of [base(), { ...rest, ...model }])
      expect([outcome(lite, m), outcome(real, m)]).toEqual(["valid", "valid"]);
  });

  it.each(Object.entries(broken))("refuses a model with %s, with jsonschema's message", (_, breakIt) => {
    const model = breakIt(base());
    const expected = outcome(real, model);
    expect(expected).not.toBe("valid");
    expect(outcome(lite, model)).toBe(expected);
  });

  // Service tells models from Entity and Service instances by validating them (electrodb/src/util.js).
  it("does not take Entity or Service instances for models", () => {
    const entity = new Entity(integrationSchema);
    const service = new Service({ integration: entity });
    for (const instance of [entity, service, {}, "x", []])
      expect(lite.testModel(instance)).toEqual(real.testModel(instance));
    expect(lite.testModel(entity)[0]).toBe(false);
  });

  it("refuses schemas with keywords it does not implement", () => {
    expect(() => new subset.Validator().validate({}, { additionalProperties: false } as object)).toThrow(
      /unsupported keyword "additionalProperties"/,
    );
  });
});
