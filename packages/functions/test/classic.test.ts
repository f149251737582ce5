import { RegistrationCallback } from "@stackfleet/core/integration/callback";
import { CreateIntegration } from "@stackfleet/core/integration/integration";
import { MaintenanceWindow, RolloutPolicy } from "@stackfleet/core/rollout";
import * as mini from "@stackfleet/core/zod-mini";
import { describe, expect, it } from "vitest";
import { asClassic, classicShape } from "../src/api/classic";

const outcome = (r: { success: boolean; data?: unknown; error?: { issues: unknown } }) =>
  r.success ? { data: r.data } : { issues: r.error?.issues };

// Core's schemas are zod mini (the executor's bundle); the API's docs and request validation use
// classic copies. Each copy must accept, transform and refuse exactly as core's schema does.
const cases: [string, mini.core.$ZodType, unknown[]][] = [
  [
    "RolloutPolicy",
    RolloutPolicy,
    [
      { maxConcurrent: { count: 2 }, failureTolerance: { percentage: 5 } },
      { maxConcurrent: { count: 0 }, failureTolerance: { count: 1 }, canary: {} },
      { maxConcurrent: { percentage: 10 }, failureTolerance: { count: 1 }, canary: { percentage: 60 }, graceHours: -1 },
      { maxConcurrent: { count: 1.5 }, failureTolerance: { count: 1 }, extra: true },
      "nope",
    ],
  ],
  [
    "MaintenanceWindow",
    MaintenanceWindow,
    [
      { days: [1, 3], startMinute: 120, durationMinutes: 60, timezone: "Europe/Berlin" },
      { days: [1, 1], startMinute: 2000, durationMinutes: 10, timezone: "Mars/Olympus" },
      { days: [], startMinute: 0.5, durationMinutes: 30, timezone: "UTC" },
    ],
  ],
  [
    "CreateIntegration",
    CreateIntegration,
    [{ accountId: "123456789012", region: "eu-west-1" }, { accountId: "12", region: "EU", x: 1 }, {}],
  ],
  [
    "RegistrationCallback",
    RegistrationCallback,
    [
      { requestType: "Create", accountId: "123456789012", region: "eu-west-1", enableAutoUpdate: "true" },
      { requestType: "Nope", accountId: "1", requestId: "" },
    ],
  ],
];

describe("classic copies of core's schemas", () => {
  it.each(cases)("%s: the copy parses every input exactly as core's schema", (_, schema, inputs) => {
    const copy = asClassic(schema);
    for (const input of inputs)
      expect(outcome(copy.safeParse(input)), JSON.stringify(input)).toEqual(outcome(mini.safeParse(schema, input)));
  });

  it("gives the OpenAPI generator classic schemas (with `.meta`) all the way down", () => {
    const shape = classicShape(RolloutPolicy.shape);
    expect(typeof shape.canary.meta).toBe("function");
    const canary = shape.canary._zod.def as unknown as { innerType: { meta: unknown } };
    expect(typeof canary.innerType.meta).toBe("function");
    expect(typeof (mini.optional(mini.string()) as unknown as { meta?: unknown }).meta).toBe("undefined");
  });

  it("refuses a kind of schema it has no classic class for, rather than document it wrongly", () => {
    expect(() => asClassic(mini.date())).toThrow(/no classic class for a "date" schema/);
  });
});
