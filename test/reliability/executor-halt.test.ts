import { Halts } from "@stackfleet/core/version";
import { describe, expect, it } from "vitest";
import type { Call } from "../support/faults";
import { isTerminal } from "./support/check";
import { describeCall, FULL, isPoll, rotating, updateFixture } from "./support/scenario";

// Issue 13: an operator halts the version at every step boundary of one update. Whatever the
// executor had not yet decided when the halt became visible (committed in the table) must not
// reach CloudFormation: the only ExecuteChangeSet allowed after a halt is one whose go-ahead
// (the claimed → executing transaction, which re-checks the halt) committed before it.

const file = updateFixture();

const goAhead = (c: Call) =>
  c.command === "TransactWriteItemsCommand" && /run:.*executing/.test(c.label) && /claimed/.test(c.label);
const executed = (c: Call) => c.command === "ExecuteChangeSetCommand" && !c.fault && !c.error;
const inFlight = ["claimed", "executing", "watching"];

describe("a halt at every step boundary", () => {
  let boundaries: Array<{ at: number; call: Call }> = [];

  it("a clean update names the boundaries", async () => {
    const { during, found } = await file.updates.run(() => undefined);
    expect(found).toEqual([]);
    expect(during.some(goAhead)).toBe(true);
    const all = during
      .map((call, i) => ({ at: i + 1, call }))
      .filter(({ call }, i) => !isPoll(call) || !isPoll(during[i - 1]!));
    // CI: the steps around the decision — the claim, the live stack read, the change set, the
    // last call before the go-ahead, the go-ahead itself, the execution. Full: every call.
    const go = all.findIndex(({ call }) => goAhead(call));
    const named = [
      all.find(({ call }) => /claimed/.test(call.label)),
      all.find(({ call }) => call.command === "DescribeStacksCommand"),
      all.find(({ call }) => call.command === "CreateChangeSetCommand"),
      all[go - 1],
      all[go],
      all.find(({ call }) => call.command === "ExecuteChangeSetCommand"),
    ];
    // CI: the go-ahead itself and 3 of the others, rotating from run to run.
    const steps = [...new Set(named.filter((b) => b !== undefined))];
    const decision = all[go];
    boundaries = FULL
      ? all
      : [
          decision!,
          ...rotating(
            steps.filter((b) => b !== decision),
            3,
          ),
        ];
  });

  it("0 CloudFormation changes after the halt was visible; nothing left in flight", async () => {
    const failures: string[] = [];
    let changesAfterHalt = 0;
    for (const { at, call } of boundaries) {
      let haltedAt = Number.POSITIVE_INFINITY;
      const { during, found, version } = await file.updates.run(
        ({ version }) => {
          let seen = 0;
          file.rf.faults.onCall = async (c) => {
            if (++seen !== at) return;
            file.rf.faults.onCall = undefined;
            await Halts.haltVersion(file.rf.deps, version.version, "operator:reliability", "halt at a boundary");
            haltedAt = c.index;
          };
        },
        { settled: (runs) => runs.every((r) => !inFlight.includes(r.state)) },
      );
      if (!Number.isFinite(haltedAt)) failures.push(`no halt after ${describeCall(call, at)}`);
      const decidedBefore = during.some((c) => goAhead(c) && c.index <= haltedAt && !c.fault && !c.error);
      const late = during.filter((c) => executed(c) && c.index > haltedAt && !decidedBefore);
      changesAfterHalt += late.length;
      if (late.length) failures.push(`halt after ${describeCall(call, at)}: ExecuteChangeSet after the halt`);
      for (const v of found.filter((v) => v.rule !== "stuck" || !/scheduled/.test(v.detail)))
        failures.push(`halt after ${describeCall(call, at)} (${version.version}): ${v.rule} ${v.detail}`);
    }
    const runs = await file.rf.runsOf(file.updates.integration.integrationId);
    console.info(
      `executor halts: ${boundaries.length} boundaries, ${changesAfterHalt} CloudFormation changes after a visible halt, ${runs.filter((r) => !isTerminal(r)).length} runs waiting on halted versions`,
    );
    expect(failures).toEqual([]);
  }, 3_600_000);
});
