import { describe, expect, it } from "vitest";
import type { Call } from "../support/faults";
import { describeCall, FULL, isPoll, rotating, updateFixture } from "./support/scenario";

// Issue 13: the executor's process killed at every step boundary of one update — after each
// DynamoDB, CloudFormation and Scheduler call completed (after the claim, after the change set
// was created, after it was executed, while watching, before the finish) — then restarted the
// way AWS would: Lambda's async retries, later deliveries once the lease expired, the sweeper.

const file = updateFixture();

describe("the executor killed at every step boundary", () => {
  let boundaries: Array<{ at: number; call: Call }> = [];

  it("a clean update names the boundaries", async () => {
    const { during, found } = await file.updates.run(() => undefined);
    expect(found).toEqual([]);
    // Full: every call is a boundary. CI: the named steps — after the claim, after the change set
    // was created, after it was executed, during the watch, and right before the finish.
    const all = during.map((call, i) => ({ at: i + 1, call }));
    const first = (p: (c: Call) => boolean) => all.find(({ call }) => p(call));
    const named = [
      first((c) => c.command === "TransactWriteItemsCommand" && /claimed/.test(c.label)),
      first((c) => c.command === "CreateChangeSetCommand"),
      first((c) => c.command === "ExecuteChangeSetCommand"),
      first(isPoll),
      all.filter(({ call }) => isPoll(call)).at(-1),
    ];
    // CI: 3 of the 5 (rotating from run to run, always the kill after ExecuteChangeSet).
    const steps = named.filter((b) => b !== undefined);
    const executed = steps.filter((b) => b.call.command === "ExecuteChangeSetCommand");
    const rest = steps.filter((b) => b.call.command !== "ExecuteChangeSetCommand");
    boundaries = FULL ? all : [...executed, ...rotating(rest, 2)];
    expect(boundaries.some(({ call }) => call.command === "ExecuteChangeSetCommand")).toBe(true);
  });

  it("after each kill and restart: nothing stuck, nothing executed twice, the table matches the stack", async () => {
    const failures: string[] = [];
    const started = Date.now();
    for (const { at, call } of boundaries) {
      const { found, during } = await file.updates.run(() => {
        let seen = 0;
        file.rf.faults.killAfter(() => ++seen === at);
      });
      if (!during.some((c) => c.killedAfter)) failures.push(`no kill after ${describeCall(call, at)}`);
      for (const v of found) failures.push(`killed after ${describeCall(call, at)}: ${v.rule} ${v.detail}`);
    }
    console.info(
      `executor kills: ${boundaries.length} boundaries, ${failures.length} violations, ${Date.now() - started} ms`,
    );
    expect(failures).toEqual([]);
  }, 3_600_000);
});
