import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ensureUpdaterTable } from "@stackfleet/core/updater/create-table";
import { readFloorState } from "@stackfleet/core/updater/store";
import { describe, expect, inject, it } from "vitest";
import { createTestStore } from "../../../test/support/store";
import { cli, tempDir } from "./support/cli";

describe("stackfleet emergency-stop against the local runtime's updater table", () => {
  it("sets, shows and lifts the stop the executor reads", async () => {
    const main = await createTestStore();
    const updaterTable = `${main.tableName}-updater`;
    await ensureUpdaterTable(main.client, updaterTable);
    const statePath = join(tempDir(), "local.json");
    await writeFile(
      statePath,
      JSON.stringify({ dynamodb: { endpoint: inject("dynamoEndpoint"), tableName: main.tableName } }),
    );
    const state = ["--state-file", statePath];
    const store = { client: main.documentClient, tableName: updaterTable, now: main.now };

    const on = await cli(["emergency-stop", "on", "--reason", "incident 9", "--by", "security:bob", ...state]);
    expect(on).toMatchObject({ code: 0, stdout: "emergency stop: ON (incident 9, set by security:bob)" });
    expect((await readFloorState(store, "d", "int_1")).stop).toEqual({ reason: "incident 9", setBy: "security:bob" });
    expect(JSON.parse((await cli(["emergency-stop", "show", "--json", ...state])).stdout)).toEqual({
      stopped: true,
      reason: "incident 9",
      setBy: "security:bob",
    });

    expect(await cli(["emergency-stop", "off", ...state])).toMatchObject({ code: 0, stdout: "emergency stop: off" });
    expect((await readFloorState(store, "d", "int_1")).stop).toBeUndefined();
  });

  it("says so when no local runtime is running", async () => {
    const result = await cli(["emergency-stop", "show", "--state-file", join(tempDir(), "none.json")]);
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/no running local runtime/);
  });
});
