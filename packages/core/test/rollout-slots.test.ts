import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planWave, slotTimes } from "../src/rollout/slots";

const start = new Date("2026-02-01T00:00:00Z");

describe("slotTimes", () => {
  it("starts `concurrency` runs per slot, slots `slotMinutes` apart, in the given order", () => {
    const planned = slotTimes(["a", "b", "c", "d", "e"], 2, start, 30);
    expect(planned.map((p) => [p.integrationId, p.at.toISOString()])).toEqual([
      ["a", "2026-02-01T00:00:00.000Z"],
      ["b", "2026-02-01T00:00:00.000Z"],
      ["c", "2026-02-01T00:30:00.000Z"],
      ["d", "2026-02-01T00:30:00.000Z"],
      ["e", "2026-02-01T01:00:00.000Z"],
    ]);
  });

  it("never puts more than `concurrency` runs in one slot, and never starts before `start`", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 20 }), (n, concurrency) => {
        const planned = slotTimes(
          Array.from({ length: n }, (_, i) => `int_${i}`),
          concurrency,
          start,
          15,
        );
        const perSlot = new Map<number, number>();
        for (const p of planned) {
          expect(p.at.getTime()).toBeGreaterThanOrEqual(start.getTime());
          perSlot.set(p.at.getTime(), (perSlot.get(p.at.getTime()) ?? 0) + 1);
        }
        for (const count of perSlot.values()) expect(count).toBeLessThanOrEqual(concurrency);
      }),
    );
  });

  it("treats a concurrency of 0 (a halted wave) as one at a time rather than dividing by zero", () => {
    expect(slotTimes(["a", "b"], 0, start, 10).map((p) => p.at.getTime() - start.getTime())).toEqual([0, 600_000]);
  });
});

describe("planWave", () => {
  it("moves each run into its own maintenance window and leaves runs without one in their slot", () => {
    const planned = planWave(
      [
        { integrationId: "int_a" },
        // Sundays 01:00 Berlin → the slot at 00:00Z Sunday (01:00 CET) is already inside.
        { integrationId: "int_b", maintenanceWindow: { days: [0], startMinute: 60, durationMinutes: 60, timezone: "Europe/Berlin" } },
        // Mondays 09:00 New York → the next Monday.
        { integrationId: "int_c", maintenanceWindow: { days: [1], startMinute: 540, durationMinutes: 60, timezone: "America/New_York" } },
      ],
      { concurrency: 2, start, slotMinutes: 30 },
    );
    expect(planned.map((p) => [p.integrationId, p.at.toISOString()])).toEqual([
      ["int_a", "2026-02-01T00:00:00.000Z"],
      ["int_b", "2026-02-01T00:00:00.000Z"],
      ["int_c", "2026-02-02T14:00:00.000Z"],
    ]);
  });
});
