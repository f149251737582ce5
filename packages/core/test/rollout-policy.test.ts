import { describe, expect, it } from "vitest";
import { RolloutPolicy } from "../src/rollout/policy";

describe("RolloutPolicy schema", () => {
  const base = { maxConcurrent: { count: 2 }, failureTolerance: { count: 1 } };

  it("fills in 24-hour grace and cooling-off", () => {
    expect(RolloutPolicy.parse(base)).toEqual({ ...base, coolingOffHours: 24, graceHours: 24 });
  });

  it.each([
    ["a canary above 50 %", { canary: { percentage: 51 } }],
    ["a 0 % canary", { canary: { percentage: 0 } }],
    ["an empty canary", { canary: {} }],
    ["both count and percentage", { maxConcurrent: { count: 1, percentage: 10 } }],
    ["zero concurrency", { maxConcurrent: { count: 0 } }],
    ["a fractional percentage for StackSets fields", { failureTolerance: { percentage: 2.5 } }],
    ["a negative tolerance", { failureTolerance: { count: -1 } }],
    ["unknown fields", { regionOrder: ["eu-west-1"] }],
  ])("rejects %s", (_, change) => {
    expect(RolloutPolicy.safeParse({ ...base, ...change }).success).toBe(false);
  });
});
