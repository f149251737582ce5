import { describe, expect, it } from "vitest";
import { METRICS } from "../../../infra/metrics";
import { type FloorFacts, judgeFloor, RUNS_REFUSED } from "../src/executor/floor";

const HOUR = 3_600_000;
const NOW = new Date("2026-11-21T12:00:00.000Z");
const floor = { minGraceMs: 24 * HOUR, stopRecheckMs: HOUR };

const facts = (over: Partial<FloorFacts> = {}): FloorFacts => ({
  now: NOW,
  firstSeenAt: new Date(NOW.getTime() - 25 * HOUR),
  state: { firstSeenAt: undefined, highWater: { sequence: 2, version: "1.1.0" }, stop: undefined },
  release: { version: "1.2.0", sequence: 3, broadening: false },
  approvalProblem: undefined,
  ...over,
});

describe("executor floor", () => {
  it("lets a version through once every check holds", () => {
    expect(judgeFloor(facts(), floor)).toEqual({ decision: "proceed" });
    expect(
      judgeFloor(facts({ state: { firstSeenAt: undefined, highWater: undefined, stop: undefined } }), floor),
    ).toEqual({
      decision: "proceed",
    });
  });

  it("holds everything while the emergency stop is set, ahead of any other answer", () => {
    const stop = { reason: "incident", setBy: "security" };
    const verdict = judgeFloor(
      facts({
        state: { firstSeenAt: undefined, highWater: { sequence: 9, version: "9.0.0" }, stop },
        firstSeenAt: NOW,
      }),
      floor,
    );
    expect(verdict).toEqual({
      decision: "wait",
      kind: "held",
      reason: "emergency stop: incident",
      until: new Date(NOW.getTime() + HOUR),
    });
  });

  it("defers to first seen + minimum grace, to the millisecond", () => {
    const firstSeenAt = new Date(NOW.getTime() - 23 * HOUR);
    const verdict = judgeFloor(facts({ firstSeenAt }), floor);
    expect(verdict).toMatchObject({ decision: "wait", kind: "deferred", until: new Date(NOW.getTime() + HOUR) });
    expect(judgeFloor(facts({ firstSeenAt: new Date(NOW.getTime() - 24 * HOUR) }), floor)).toEqual({
      decision: "proceed",
    });
  });

  it("refuses a broadening version without a valid approval, and only a broadening one", () => {
    const release = { version: "1.2.0", sequence: 3, broadening: true };
    expect(judgeFloor(facts({ release, approvalProblem: "no approver signature" }), floor)).toMatchObject({
      decision: "refuse",
      code: "approval_missing",
    });
    expect(judgeFloor(facts({ release }), floor)).toEqual({ decision: "proceed" });
    expect(judgeFloor(facts({ approvalProblem: "no approver signature" }), floor)).toEqual({ decision: "proceed" });
  });

  it("refuses a version at or below the high-water mark", () => {
    for (const sequence of [1, 2]) {
      expect(
        judgeFloor(facts({ release: { version: `1.${sequence - 1}.0`, sequence, broadening: false } }), floor),
      ).toMatchObject({ decision: "refuse", code: "rollback_refused" });
    }
  });

  it("counts refusals in the metric the RunsRefused alarm watches", () => {
    expect(RUNS_REFUSED).toBe(METRICS.runsRefused);
  });
});
