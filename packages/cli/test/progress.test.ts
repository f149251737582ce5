import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { isSettled, liveView, snapshot, waveLine } from "../src/progress";
import type { RolloutProgress } from "../src/views";

const rollout = (over: Partial<RolloutProgress> = {}): RolloutProgress => ({
  version: "1.1.0",
  state: "published",
  graceEndsAt: "2030-01-02T00:00:00.000Z",
  fleetSize: 12,
  byState: { succeeded: 3, scheduled: 8, failed: 1 },
  waves: {
    canary: { size: 2, finished: 2, succeeded: 1, failed: 1, tolerance: 1, byState: { succeeded: 1, failed: 1 } },
    main: { size: 10, finished: 2, succeeded: 2, failed: 0, tolerance: 2, byState: { succeeded: 2, scheduled: 8 } },
  },
  failures: [
    { runId: "run_1", integrationId: "int_A", wave: "canary", attempt: 1, reason: "UPDATE_ROLLBACK_COMPLETE" },
  ],
  ...over,
});

describe("rollout progress rendering", () => {
  it("draws a bar of finished integrations per wave with its tally and runs by state", () => {
    expect(waveLine("main", rollout().waves.main!)).toBe(
      `main     ${"█".repeat(5)}${"░".repeat(19)} 2/10  ok 2  failed 0 (tolerance 2)  | succeeded 2, scheduled 8`,
    );
    expect(waveLine("canary", rollout().waves.canary!)).toContain(`${"█".repeat(24)} 2/2`);
  });

  it("a snapshot has the header, every wave and the failures with reasons", () => {
    const text = snapshot(rollout({ state: "halted", stateReason: "failure tolerance exceeded in wave canary" }));

    expect(text.split("\n")).toEqual([
      "1.1.0: halted (failure tolerance exceeded in wave canary); grace ends 2030-01-02T00:00:00.000Z; 12 eligible | succeeded 3, scheduled 8, failed 1",
      expect.stringMatching(/^canary /),
      expect.stringMatching(/^main /),
      "failures:",
      "  ✗ int_A (canary, attempt 1): UPDATE_ROLLBACK_COMPLETE",
    ]);
  });

  it.each([
    ["runs still scheduled", rollout(), false],
    ["nothing planned yet", rollout({ fleetSize: undefined, byState: {}, waves: {} }), false],
    ["every run finished", rollout({ byState: { succeeded: 11, failed: 1 } }), true],
    ["halted", rollout({ state: "halted" }), true],
    ["an empty fleet", rollout({ fleetSize: 0, byState: {}, waves: {} }), true],
  ])("is settled when %s: %s", (_name, progress, settled) => {
    expect(isSettled(progress)).toBe(settled);
  });

  it("on a terminal, cli-progress draws the header and one bar per wave", async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    let drawn = "";
    stream.on("data", (chunk: Buffer) => {
      drawn += chunk.toString("utf8");
    });
    const view = liveView(stream);

    view.show(rollout());
    view.stop();
    await new Promise((r) => setImmediate(r));

    expect(drawn).toContain("1.1.0: published; grace ends");
    expect(drawn).toContain(waveLine("canary", rollout().waves.canary!));
    expect(drawn).toContain(waveLine("main", rollout().waves.main!));
  });
});
