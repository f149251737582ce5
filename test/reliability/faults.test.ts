import type { RunRecord } from "@stackfleet/core/run/run";
import { describe, expect, it } from "vitest";
import { type Call, Faults, ProcessKilled } from "../support/faults";
import { executedAfterDecision } from "./support/decisions";
import type { Marker } from "./support/model";

// The proofs are only as good as their instruments: the fault injector fails exactly the calls it
// is told to, and the "nothing after a stop" check flags an execution whose go-ahead came late.

/** A client whose one middleware slot is the injector's, over a table that counts applied writes. */
function fakeClient(faults: Faults) {
  let middleware: ((next: unknown, context: unknown) => (args: unknown) => Promise<unknown>) | undefined;
  const applied: string[] = [];
  faults.attach({ middlewareStack: { add: (m) => void (middleware = m as typeof middleware) } }, "dynamodb");
  const send = (commandName: string, input: Record<string, unknown> = {}) =>
    middleware!(async () => void applied.push(commandName), { commandName })({ input });
  return { send, applied };
}

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: Error) => e.name,
  );

describe("the fault injector", () => {
  it("fails the n-th call once, 3 times, or until cleared", async () => {
    for (const [times, expected] of [
      [1, ["ok", "ThrottlingException", "ok", "ok", "ok"]],
      [3, ["ok", "ThrottlingException", "ThrottlingException", "ThrottlingException", "ok"]],
      [Number.POSITIVE_INFINITY, ["ok", ...Array(4).fill("ThrottlingException")]],
    ] as const) {
      const faults = new Faults();
      const client = fakeClient(faults);
      faults.inject({ kind: "throttle", from: 2, times });
      const seen = [];
      for (let i = 0; i < 5; i++) seen.push(await outcome(client.send("GetItemCommand")));
      expect(seen).toEqual(expected);
    }
  });

  it("applies a write whose response it then loses; a timeout before it applies nothing", async () => {
    const faults = new Faults();
    const client = fakeClient(faults);
    faults.inject({ kind: "lost-response", from: 1, times: 1 });
    faults.inject({ kind: "timeout", from: 2, times: 1 });
    expect(await outcome(client.send("PutItemCommand"))).toBe("TimeoutError");
    expect(await outcome(client.send("UpdateItemCommand"))).toBe("TimeoutError");
    expect(client.applied).toEqual(["PutItemCommand"]);
  });

  it("cancels transactions only, with a reason per item", async () => {
    const faults = new Faults();
    const client = fakeClient(faults);
    faults.inject({ kind: "txn-conflict", from: 1, times: 1 });
    expect(await outcome(client.send("GetItemCommand"))).toBe("ok");
    const error = (await client
      .send("TransactWriteItemsCommand", { TransactItems: [{}, {}] })
      .catch((e: unknown) => e)) as { name: string; CancellationReasons: Array<{ Code: string }> };
    expect(error.name).toBe("TransactionCanceledException");
    expect(error.CancellationReasons.map((r) => r.Code)).toEqual(["TransactionConflict", "None"]);
  });

  it("kills one process after a call: its later calls fail, another process carries on", async () => {
    const faults = new Faults(true);
    const client = fakeClient(faults);
    faults.killAfter((c) => c.command === "ExecuteChangeSetCommand");
    const killed = faults.run(async () => {
      await client.send("ExecuteChangeSetCommand");
    });
    await expect(killed).rejects.toBeInstanceOf(ProcessKilled);
    expect(client.applied).toEqual(["ExecuteChangeSetCommand"]);
    expect(await faults.run(() => outcome(client.send("GetItemCommand")))).toBe("ok");
    // Outside any process (the API sharing the client) nothing is logged or faulted.
    await client.send("QueryCommand");
    expect(faults.calls.map((c) => [c.command, c.killedAfter ?? false])).toEqual([
      ["ExecuteChangeSetCommand", true],
      ["GetItemCommand", false],
    ]);
  });
});

describe("nothing executed after a stop", () => {
  const run = { runId: "run_A", integrationId: "int_1", version: "1.2.0" } as RunRecord;
  const call = (index: number, command: string, label: string): Call => ({
    index,
    service: "dynamodb",
    command,
    label,
  });
  const log = [
    call(1, "TransactWriteItemsCommand", "run:executing/claimed event @run_A"),
    call(2, "ExecuteChangeSetCommand", "stackfleet-run-A"),
  ];
  const check = (markers: Marker[]) => executedAfterDecision(log, markers, new Map([["run_A", run]]));

  it("passes an execution decided before the halt, flags one decided after it, unless it was lifted", () => {
    expect(check([{ kind: "halt", version: "1.2.0", at: 1 }])).toEqual([]);
    expect(check([{ kind: "halt", version: "1.2.0", at: 0 }])).toHaveLength(1);
    expect(check([{ kind: "skip", version: "1.2.0", integrationId: "int_1", at: 0 }])).toHaveLength(1);
    expect(check([{ kind: "opt-out", integrationId: "int_2", at: 0 }])).toEqual([]);
    expect(
      check([
        { kind: "halt-all", at: 0 },
        { kind: "resume-all", at: 0 },
      ]),
    ).toEqual([]);
  });
});
