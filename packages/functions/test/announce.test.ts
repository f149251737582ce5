import { randomUUID } from "node:crypto";
import { marshall } from "@aws-sdk/util-dynamodb";
import { ensureUpdaterTable } from "@stackfleet/core/updater/create-table";
import { versionDigest } from "@stackfleet/core/updater/digest";
import { readFloorState } from "@stackfleet/core/updater/store";
import { describe, expect, it } from "vitest";
import { createTestStore } from "../../../test/support/store";
import { wireAnnounce } from "../src/wiring/announce";

const SHA = "b".repeat(64);

describe("announce Lambda wiring", () => {
  it("records the version items of a stream batch as first seen now, and nothing else", async () => {
    const main = await createTestStore();
    const updaterTable = `updater-${randomUUID()}`;
    await ensureUpdaterTable(main.client, updaterTable);
    const { handle, store } = wireAnnounce({ updaterTable }, { documentClient: main.documentClient, now: main.now });
    const manifest = Buffer.from("signed manifest bytes");
    const image = (item: Record<string, unknown>) => ({ eventName: "INSERT", dynamodb: { NewImage: marshall(item) } });
    const announced = await handle({
      Records: [
        image({ __edb_e__: "version", version: "1.4.0", templateSha256: SHA, manifest: manifest.toString("base64") }),
        image({ __edb_e__: "event", version: "1.4.0", action: "version.published" }),
        { eventName: "REMOVE", dynamodb: {} },
      ],
    });
    expect(announced.map((a) => a.version)).toEqual(["1.4.0"]);
    const state = await readFloorState(store, versionDigest(SHA, manifest), "int_1");
    expect(state.firstSeenAt).toEqual(main.now());
  });

  it("refuses a batch that is not a stream batch, so Lambda retries instead of dropping it", async () => {
    const { handle } = wireAnnounce({ updaterTable: "unused" }, { now: () => new Date(0) });
    await expect(handle({ records: [] })).rejects.toThrow();
  });
});
