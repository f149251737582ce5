import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Event } from "../src/event/index";
import { planAll, planVersion } from "../src/rollout/plan";
import { Run } from "../src/run/index";
import { plannedRunId } from "../src/run/run-id";
import { createRolloutHarness, type RolloutHarness } from "./support/rollout";

const HOUR = 3_600_000;
let h: RolloutHarness;
beforeEach(async () => {
  h = await createRolloutHarness({ maxConcurrent: { count: 10 }, failureTolerance: { count: 1 } });
});
afterEach(() => h.stop());

const at = (iso: string) => `at(${iso.slice(0, 19)})`;

describe("planning a published version", () => {
  it("schedules a run at grace end for each eligible integration and for no other", async () => {
    const a = await h.connected();
    const b = await h.connected();
    await h.connected({ status: "access-lost" });
    await h.connected({ autoUpdate: false });
    await h.connected({ skippedVersions: ["1.1.0"] });
    await h.connected({ currentVersion: "1.1.0" });
    await h.connected({ updateRoleArn: undefined });
    const version = await h.version("1.1.0", 24);

    const result = await planAll(h.store, h.ctx, version);

    expect(result).toMatchObject({ planned: 2, existing: 0, cursor: null });
    const runIds = [a, b].map((i) => plannedRunId("1.1.0", i.integrationId, 1)).sort();
    expect(await h.schedules()).toEqual(runIds.map((id) => ({ name: `${id}.run.1`, at: at(version.graceEndsAt) })));
    const runs = await Run.byVersion(h.store, "1.1.0");
    expect(runs.map((r) => r.runId).sort()).toEqual(runIds);
    expect(
      runs.every((r) => r.state === "scheduled" && r.wave === "main" && r.scheduledFor === version.graceEndsAt),
    ).toBe(true);
    // The customer is told what is coming and when, with the changelog headline.
    const feed = await Event.byIntegration(h.store, a.integrationId);
    expect(feed.items.find((e) => e.action === "update.scheduled")).toMatchObject({
      notify: true,
      deliveredAt: expect.any(String),
      data: { version: "1.1.0", scheduledFor: version.graceEndsAt, changelogSummary: "What changes in 1.1.0" },
    });
    expect(
      h.notifier.delivered
        .filter((n) => n.action === "update.scheduled")
        .map((n) => n.integrationId)
        .sort(),
    ).toEqual([a.integrationId, b.integrationId].sort());
    // Every subscriber hears of the version once, eligible or not.
    expect(h.notifier.delivered.filter((n) => n.action === "version.announced")).toEqual([
      expect.objectContaining({
        version: "1.1.0",
        data: expect.objectContaining({ changelogSummary: "What changes in 1.1.0", graceEndsAt: version.graceEndsAt }),
      }),
    ]);
  });

  it("is idempotent: planning again creates no run, no schedule and no notification", async () => {
    await h.connected();
    await h.connected();
    const version = await h.version("1.1.0");
    await planAll(h.store, h.ctx, version);
    const before = await h.schedules();
    const creates = h.scheduler.counters.create;

    const again = await planAll(h.store, h.ctx, version);

    expect(again).toMatchObject({ planned: 0, existing: 2 });
    expect(await h.schedules()).toEqual(before);
    expect(await Run.byVersion(h.store, "1.1.0")).toHaveLength(2);
    expect(h.notifier.delivered.map((n) => n.action).sort()).toEqual([
      "update.scheduled",
      "update.scheduled",
      "version.announced",
    ]);
    // It re-asserts each waiting run's schedule once: the identical request (same name, time and
    // ClientToken) is a replay Scheduler answers without creating anything.
    expect(h.scheduler.counters.create - creates).toBe(2);
    // A different request under the same name is a ConflictException, which the adapter reads as "exists".
    const run = (await Run.byVersion(h.store, "1.1.0"))[0]!;
    const later = new Date(Date.parse(run.scheduledFor) + HOUR);
    expect(await h.scheduler.scheduleRun({ runId: run.runId, at: later, kind: "run", attempt: 1 })).toEqual({
      name: run.scheduleName,
      created: false,
    });
    expect(await h.schedules()).toEqual(before);
  });

  it("puts a run into the integration's maintenance window after the grace end", async () => {
    // Grace ends Sunday 2026-11-22 12:00 UTC; the window is Tuesdays 02:00–03:00 in Berlin (01:00 UTC).
    const windowed = await h.connected({
      maintenanceWindow: { days: [2], startMinute: 120, durationMinutes: 60, timezone: "Europe/Berlin" },
    });
    const version = await h.version("1.1.0", 24);

    await planAll(h.store, h.ctx, version);

    const run = await Run.get(h.store, plannedRunId("1.1.0", windowed.integrationId, 1));
    expect(run.scheduledFor).toBe("2026-11-24T01:00:00.000Z");
    expect(await h.schedules()).toEqual([{ name: `${run.runId}.run.1`, at: "at(2026-11-24T01:00:00)" }]);
  });

  it("continues across invocations from a cursor when its time budget is spent", async () => {
    for (let i = 0; i < 12; i++) await h.connected();
    const version = await h.version("1.1.0");
    let cursor: string | null = null;
    let planned = 0;
    let calls = 0;
    do {
      const r: Awaited<ReturnType<typeof planVersion>> = await planVersion(h.store, h.ctx, version, {
        cursor,
        budgetMs: 0,
        pageSize: 2,
      });
      planned += r.planned;
      cursor = r.cursor;
      calls++;
    } while (cursor);
    expect(planned).toBe(12);
    expect(calls).toBeGreaterThan(1);
    expect(await h.schedules()).toHaveLength(12);
  });

  it("spreads a wave into slots of its strict concurrency (tolerance 1 → 2 at a time)", async () => {
    for (let i = 0; i < 5; i++) await h.connected();
    const version = await h.version("1.1.0", 24);
    await planAll(h.store, h.ctx, version);
    const times = (await Run.byVersion(h.store, "1.1.0"))
      .map((r) => Date.parse(r.scheduledFor) - Date.parse(version.graceEndsAt))
      .sort((x, y) => x - y);
    expect(times).toEqual([0, 0, 0.5 * HOUR, 0.5 * HOUR, HOUR]);
  });

  it("refuses a version that is halted or awaits approval", async () => {
    const halted = await h.version("1.1.0", 24, { state: "halted" });
    await expect(planAll(h.store, h.ctx, halted)).rejects.toMatchObject({ code: "version_not_published" });
    const unapproved = await h.version("1.2.0", 24, { approvalRequired: true });
    await expect(planAll(h.store, h.ctx, unapproved)).rejects.toMatchObject({ code: "approval_required" });
  });
});
