import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_ROLLOUT_POLICY, RolloutPolicy } from "../src/rollout/policy";
import { assignWaves, waveStartTimes } from "../src/rollout/waves";

const fleet = (n: number) => Array.from({ length: n }, (_, i) => `int_${String(i).padStart(4, "0")}`);

describe("assignWaves", () => {
  it("puts ceil(percentage) of the fleet in the canary and everyone else in main, once each", () => {
    const ids = fleet(41);
    const waves = assignWaves(ids, { canary: { percentage: 10 } }, "1.2.0");
    expect(waves.canary).toHaveLength(5);
    expect(waves.main).toHaveLength(36);
    expect(new Set([...waves.canary, ...waves.main])).toEqual(new Set(ids));
  });

  it("is deterministic and ignores input order and duplicates", () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 60 }), fc.string(), (ids, seed) => {
        const policy = { canary: { percentage: 20 } };
        const first = assignWaves(ids, policy, seed);
        const shuffled = [...ids].reverse().concat(ids.slice(0, 3));
        expect(assignWaves(shuffled, policy, seed)).toEqual(first);
        expect(assignWaves(ids, policy, seed)).toEqual(first);
      }),
      { numRuns: 100 },
    );
  });

  it("keeps canary choices stable as the fleet changes: old members are only displaced, never reshuffled", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1 }), { minLength: 1, maxLength: 80 }),
        fc.uniqueArray(fc.string({ minLength: 1 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 50 }),
        (fleetIds, joiners, percentage) => {
          const policy = { canary: { percentage } };
          const before = assignWaves(fleetIds, policy, "3.1.0").canary;
          const afterAmongOld = assignWaves([...fleetIds, ...joiners], policy, "3.1.0").canary.filter((id) =>
            fleetIds.includes(id),
          );
          const [shorter, longer] = before.length <= afterAmongOld.length ? [before, afterAmongOld] : [afterAmongOld, before];
          expect(longer.slice(0, shorter.length)).toEqual(shorter);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("picks a different canary for a different seed", () => {
    const ids = fleet(200);
    const a = assignWaves(ids, { canary: { percentage: 5 } }, "1.0.0");
    const b = assignWaves(ids, { canary: { percentage: 5 } }, "1.1.0");
    expect(a.canary).not.toEqual(b.canary);
  });

  it("puts named ids first, in the policy's order, and counts them toward the percentage", () => {
    const ids = fleet(20);
    const waves = assignWaves(ids, { canary: { integrationIds: ["int_0007", "int_0003"], percentage: 15 } }, "s");
    expect(waves.canary.slice(0, 2)).toEqual(["int_0007", "int_0003"]);
    expect(waves.canary).toHaveLength(3);
    expect(waves.main).not.toContain("int_0007");
  });

  it("ignores named ids that are not in the fleet", () => {
    const waves = assignWaves(fleet(10), { canary: { integrationIds: ["int_gone", "int_0001"] } }, "s");
    expect(waves.canary).toEqual(["int_0001"]);
    expect(waves.main).toHaveLength(9);
  });

  it("has no canary without a canary policy", () => {
    const waves = assignWaves(fleet(10), {}, "s");
    expect(waves.canary).toEqual([]);
    expect(waves.main).toHaveLength(10);
  });
});

describe("waveStartTimes", () => {
  const graceEnd = new Date("2026-01-10T12:00:00Z");

  it("starts the canary at grace end and the main wave a cooling-off later", () => {
    const policy = RolloutPolicy.parse({ canary: { percentage: 5 }, coolingOffHours: 48, maxConcurrent: { count: 1 }, failureTolerance: { count: 0 } });
    expect(waveStartTimes(graceEnd, policy)).toEqual({ canary: graceEnd, main: new Date("2026-01-12T12:00:00Z") });
  });

  it("starts the main wave at grace end without a canary policy", () => {
    const policy = RolloutPolicy.parse({ maxConcurrent: { count: 1 }, failureTolerance: { count: 0 } });
    expect(waveStartTimes(graceEnd, policy).main).toEqual(graceEnd);
  });

  it("starts the main wave at grace end when the canary cohort came out empty", () => {
    expect(waveStartTimes(graceEnd, DEFAULT_ROLLOUT_POLICY, { canary: [] }).main).toEqual(graceEnd);
    expect(waveStartTimes(graceEnd, DEFAULT_ROLLOUT_POLICY, { canary: ["int_1"] }).main).toEqual(new Date("2026-01-11T12:00:00Z"));
  });
});

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
