import { describe, expect, it } from "vitest";
import { type Call, FAULT_KINDS } from "../support/faults";
import { describeCall, FULL, ROTATION, rotating, updateFixture } from "./support/scenario";

// Issue 13: DynamoDB faults at every call site of one executor update. Each scenario fails the
// i-th DynamoDB call of the update (throttling, 5xx, timeouts before and after the write was
// applied, transaction conflicts and condition failures; once, 3 times, or until faults stop),
// then faults stop, time passes, the sweeper runs, and the invariants of "every run ends" hold.

const file = updateFixture();

const dynamo = (c: Call) => c.service === "dynamodb";

describe("DynamoDB faults at every executor call site", () => {
  let sites: Call[] = [];

  it("a clean update succeeds with no violation, and names its DynamoDB call sites", async () => {
    const { during, found } = await file.updates.run(() => undefined);
    sites = during.filter(dynamo);
    expect(found).toEqual([]);
    expect(sites.map((c) => c.command)).toContain("TransactWriteItemsCommand");
  });

  it("each site failing once, 3 times or persistently: after the sweep nothing is stuck or run twice", async () => {
    const modes = FULL ? [1, 3, Number.POSITIVE_INFINITY] : [1];
    const failures: string[] = [];
    let scenarios = 0;
    const started = Date.now();
    // CI: half the sites (rotating from run to run), once each, the fault kinds rotating over the
    // sites; full: every site × kind × mode.
    for (const [i, site] of rotating([...sites.entries()], Math.ceil(sites.length / 2))) {
      const applicable = FAULT_KINDS.filter(
        (k) => !k.startsWith("txn-") || site.command === "TransactWriteItemsCommand",
      );
      const kinds = FULL ? applicable : [applicable[i % applicable.length]!];
      for (const kind of kinds) {
        for (const times of modes) {
          const { found, during } = await file.updates.run(() =>
            file.rf.faults.inject({ kind, from: i + 1, times, match: dynamo }),
          );
          scenarios++;
          if (!during.some((c) => c.fault === kind))
            failures.push(`${describeCall(site, i + 1)} ${kind} x${times}: never injected`);
          for (const v of found) failures.push(`${describeCall(site, i + 1)} ${kind} x${times}: ${v.rule} ${v.detail}`);
        }
      }
    }
    console.info(
      `executor DynamoDB faults: ${sites.length} call sites, ${scenarios} scenarios (rotation ${ROTATION}), ${failures.length} violations, ${Date.now() - started} ms`,
    );
    expect(failures).toEqual([]);
  }, 3_600_000);
});
