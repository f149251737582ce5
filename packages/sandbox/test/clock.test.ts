import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock, parseDuration, type Sandbox, startSandbox } from "../src/index";
import { config, REGION, UPDATER } from "./helpers";

const START = new Date("2030-05-01T00:00:00Z");
const TARGET = `arn:aws:lambda:${REGION}:${UPDATER}:function:executor`;

async function schedule(sandbox: Sandbox, name: string, at: string) {
  await new SchedulerClient(config(sandbox, UPDATER)).send(
    new CreateScheduleCommand({
      Name: name,
      ScheduleExpression: `at(${at})`,
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: { Arn: TARGET, RoleArn: `arn:aws:iam::${UPDATER}:role/scheduler`, Input: name },
    }),
  );
}

describe("parseDuration", () => {
  it.each([
    ["25h", 90_000_000],
    ["1h30m", 5_400_000],
    ["90s", 90_000],
    ["2d", 172_800_000],
    ["250ms", 250],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "soon", "5", "-1h", "1h and a bit"])("refuses %j", (text) => {
    expect(() => parseDuration(text)).toThrow(/duration must look like/);
  });
});

describe("the sandbox's manual clock", () => {
  let sandbox: Sandbox;
  afterEach(() => sandbox.stop());

  it("POST /_sandbox/clock/advance {duration} steps through due times: each delivery sees its own time, in order", async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: START });
    const seen: string[] = [];
    sandbox.targets.register(TARGET, async (input) => {
      seen.push(`${input}@${sandbox.clock.now().toISOString()}`);
      // A target that schedules a retry inside the window being skipped: it must fire too.
      if (input === "first") await schedule(sandbox, "retry", "2030-05-01T01:30:00");
    });
    await schedule(sandbox, "second", "2030-05-01T02:00:00");
    await schedule(sandbox, "first", "2030-05-01T01:00:00");

    const response = await fetch(`${sandbox.endpoint}/_sandbox/clock/advance`, {
      method: "POST",
      body: JSON.stringify({ duration: "25h" }),
    });
    const body = (await response.json()) as { now: string; deliveries: Array<{ scheduleName: string }> };

    expect(response.status).toBe(200);
    expect(body.now).toBe("2030-05-02T01:00:00.000Z");
    expect(body.deliveries.map((d) => d.scheduleName)).toEqual(["first", "retry", "second"]);
    expect(seen).toEqual([
      "first@2030-05-01T01:00:00.000Z",
      "retry@2030-05-01T01:30:00.000Z",
      "second@2030-05-01T02:00:00.000Z",
    ]);
    const clock = await (await fetch(`${sandbox.endpoint}/_sandbox/clock`)).json();
    expect(clock).toEqual({ now: "2030-05-02T01:00:00.000Z", kind: "manual" });
  });

  it("a shared ManualClock moved by someone else fires what became due", async () => {
    const shared = new ManualClock(START);
    sandbox = await startSandbox({ port: 0, clock: shared });
    const seen: string[] = [];
    sandbox.targets.register(TARGET, (input) => void seen.push(input));
    await schedule(sandbox, "grace-end", "2030-05-01T00:02:00");

    shared.advance(parseDuration("2m"));

    await expect.poll(() => seen).toEqual(["grace-end"]);
    expect(sandbox.clock).toBe(shared);
  });

  it("refuses bad advances with a 400 and leaves the clock where it was", async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: START });
    const post = (body: unknown) =>
      fetch(`${sandbox.endpoint}/_sandbox/clock/advance`, { method: "POST", body: JSON.stringify(body) });

    for (const body of [{ duration: "tomorrow" }, { ms: -5 }, { ms: 1, duration: "1h" }, {}]) {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
    expect(sandbox.clock.now()).toEqual(START);
  });

  it("on the real clock, advancing jumps ahead, fires what fell due, keeps running and survives a restart", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "sandbox-clock-"));
    try {
      sandbox = await startSandbox({ port: 0, dataDir, saveDebounceMs: 0, firingIntervalMs: 60_000 });
      const fired: string[] = [];
      sandbox.targets.register(TARGET, async (input) => void fired.push(input));
      const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 19);
      await schedule(sandbox, "later", inTwoDays);

      const response = await fetch(`${sandbox.endpoint}/_sandbox/clock/advance`, {
        method: "POST",
        body: JSON.stringify({ duration: "49h" }),
      });
      const body = (await response.json()) as { now: string; deliveries: Array<{ scheduleName: string }> };

      expect(response.status).toBe(200);
      expect(body.deliveries.map((d) => d.scheduleName)).toEqual(["later"]);
      expect(fired).toEqual(["later"]);
      const jumped = Date.parse(body.now);
      expect(jumped - Date.now()).toBeGreaterThan(48.9 * 3_600_000);
      // Still a real clock: it keeps moving on its own from where it landed.
      await new Promise((done) => setTimeout(done, 20));
      expect(sandbox.clock.now().getTime()).toBeGreaterThan(jumped);

      await sandbox.stop();
      sandbox = await startSandbox({ port: 0, dataDir, firingIntervalMs: 60_000 });
      expect(sandbox.clock.kind).toBe("real");
      expect(sandbox.clock.now().getTime()).toBeGreaterThanOrEqual(jumped);
      // …and so does a manual clock started on it.
      await sandbox.stop();
      sandbox = await startSandbox({ port: 0, dataDir, clock: "manual" });
      expect(sandbox.clock.now().getTime()).toBeGreaterThanOrEqual(jumped);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("a real clock started where a manual one stopped ahead resumes from there", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "sandbox-clock-"));
    try {
      const ahead = new Date(Date.now() + 3 * 86_400_000);
      sandbox = await startSandbox({ port: 0, dataDir, clock: "manual", startTime: ahead });
      await sandbox.stop();
      sandbox = await startSandbox({ port: 0, dataDir, firingIntervalMs: 60_000 });
      expect(sandbox.clock.kind).toBe("real");
      expect(sandbox.clock.now().getTime()).toBeGreaterThanOrEqual(ahead.getTime());
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
