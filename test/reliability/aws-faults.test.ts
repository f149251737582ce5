import { describe, expect, it } from "vitest";
import { AWS_FAULT_KINDS, type Call } from "../support/faults";
import { describeCall, FULL, ROTATION, rotating, updateFixture } from "./support/scenario";

// Issue 13: faults in the executor's CloudFormation and Scheduler calls — CreateChangeSet,
// DescribeChangeSet, ExecuteChangeSet, DescribeStacks, DescribeStackEvents, the watch and retry
// schedules' CreateSchedule, DeleteSchedule — each failing with throttling, a 5xx, a timeout
// before the request was applied or a response lost after it was (once, 3 times, or until faults
// stop); then faults stop, time passes, the sweeper runs, and the invariants of "every run ends"
// hold: nothing stuck, nothing executed twice, the table agrees with CloudFormation.

const file = updateFixture();

const aws = (c: Call) => c.service === "cloudformation" || c.service === "scheduler";

describe("CloudFormation and Scheduler faults at every executor call site", () => {
  let sites: Call[] = [];

  it("a clean update succeeds with no violation, and names its CloudFormation and Scheduler call sites", async () => {
    const { during, found } = await file.updates.run(() => undefined);
    sites = during.filter(aws);
    expect(found).toEqual([]);
    expect(sites.map((c) => c.command)).toEqual(
      expect.arrayContaining(["CreateChangeSetCommand", "ExecuteChangeSetCommand", "DescribeStackEventsCommand"]),
    );
  });

  it("ExecuteChangeSet throttled 3 times (the go never reached CloudFormation, the first watch's look fails too): still executed once", async () => {
    // Found by the full sweep: the failed look handed the run over as `watching`, and a run
    // watching an update that never started was watched for a day. It must stay `executing` so
    // the next watch reconciles it and executes the ready change set.
    const at = sites.findIndex((c) => c.command === "ExecuteChangeSetCommand") + 1;
    const { found, run } = await file.updates.run(() =>
      file.rf.faults.inject({ kind: "throttle", from: at, times: 3, match: aws }),
    );
    expect(found).toEqual([]);
    expect(await file.rf.runOf(run.runId)).toMatchObject({ state: "succeeded" });
  });

  it("each site failing once, 3 times or persistently: after the sweep nothing is stuck or run twice", async () => {
    const modes = FULL ? [1, 3, Number.POSITIVE_INFINITY] : [1];
    const failures: string[] = [];
    let scenarios = 0;
    const started = Date.now();
    // CI: the execute and half the other sites (rotating from run to run); full: every site.
    const execute = [...sites.entries()].filter(([, c]) => c.command === "ExecuteChangeSetCommand");
    const others = [...sites.entries()].filter(([, c]) => c.command !== "ExecuteChangeSetCommand");
    const chosen = [...execute, ...rotating(others, Math.ceil(others.length / 2))].sort(([a], [b]) => a - b);
    for (const [i, site] of chosen) {
      // CI: every site once, the kinds rotating over the sites (a lost response lands on the
      // execute, the step where it matters most, in every rotation); full: every kind × mode.
      const kinds = FULL
        ? AWS_FAULT_KINDS
        : [site.command === "ExecuteChangeSetCommand" ? "lost-response" : AWS_FAULT_KINDS[i % AWS_FAULT_KINDS.length]!];
      for (const kind of kinds) {
        for (const times of modes) {
          const { found, during } = await file.updates.run(() =>
            file.rf.faults.inject({ kind, from: i + 1, times, match: aws }),
          );
          scenarios++;
          const where = `${describeCall(site, i + 1)} ${kind} x${times}`;
          if (!during.some((c) => c.fault === kind)) failures.push(`${where}: never injected`);
          for (const v of found) failures.push(`${where}: ${v.rule} ${v.detail}`);
        }
      }
    }
    console.info(
      `executor CloudFormation/Scheduler faults (rotation ${ROTATION}): ${sites.length} call sites (${sites.map((c) => c.command.replace(/Command$/, "")).join(", ")}), ${scenarios} scenarios, ${failures.length} violations, ${Date.now() - started} ms`,
    );
    expect(failures).toEqual([]);
  }, 3_600_000);
});
