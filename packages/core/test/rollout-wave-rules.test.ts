import { describe, expect, it } from "vitest";
import { isWithinWindow, mainWaveGate } from "../src/rollout/wave-rules";

const policy = { coolingOffHours: 24, maxConcurrent: { count: 5 }, failureTolerance: { count: 1 } };
const now = new Date("2026-03-10T12:00:00Z");

describe("mainWaveGate", () => {
  it("lets the main wave go a full cooling-off after the last canary finished", () => {
    const canary = { size: 4, finished: 4, failed: 1, lastFinishedAt: new Date("2026-03-09T11:59:59Z") };
    expect(mainWaveGate(canary, policy, now)).toEqual({ ok: true });
  });

  it("waits out the cooling-off and says until when", () => {
    const canary = { size: 4, finished: 4, failed: 0, lastFinishedAt: new Date("2026-03-10T06:00:00Z") };
    expect(mainWaveGate(canary, policy, now)).toEqual({
      ok: false,
      reason: "cooling_off",
      retryAt: new Date("2026-03-11T06:00:00Z"),
    });
  });

  it("waits while canary runs are still open", () => {
    const canary = { size: 4, finished: 3, failed: 0, lastFinishedAt: new Date("2026-03-01T00:00:00Z") };
    expect(mainWaveGate(canary, policy, now)).toEqual({ ok: false, reason: "canary_pending" });
  });

  it("stops the main wave once the canary failed past its tolerance, even before it finished", () => {
    const canary = { size: 10, finished: 2, failed: 2 };
    expect(mainWaveGate(canary, policy, now)).toEqual({ ok: false, reason: "canary_failed" });
  });

  it("does not hold the main wave for an empty canary", () => {
    expect(mainWaveGate({ size: 0, finished: 0, failed: 0 }, policy, now)).toEqual({ ok: true });
  });
});

describe("isWithinWindow", () => {
  const window = { days: [2], startMinute: 12 * 60, durationMinutes: 60, timezone: "UTC" };

  it("is true inside the window and without one", () => {
    expect(isWithinWindow(window, now)).toBe(true);
    expect(isWithinWindow(undefined, now)).toBe(true);
  });

  it("is false outside it, including the closing instant", () => {
    expect(isWithinWindow(window, new Date("2026-03-10T11:59:59Z"))).toBe(false);
    expect(isWithinWindow(window, new Date("2026-03-10T13:00:00Z"))).toBe(false);
  });
});
