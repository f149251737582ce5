import { randomUUID } from "node:crypto";
import { marshall } from "@aws-sdk/util-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { announceImages } from "../src/updater/announce";
import { ensureUpdaterTable } from "../src/updater/create-table";
import { versionDigest } from "../src/updater/digest";
import {
  liftEmergencyStop,
  raiseHighWater,
  readFloorState,
  recordFirstSeen,
  setEmergencyStop,
  type UpdaterStore,
} from "../src/updater/store";

const HOUR = 3_600_000;
const SHA = "a".repeat(64);
let main: TestStore;
let store: UpdaterStore;

beforeEach(async () => {
  main = await createTestStore();
  const tableName = `updater-${randomUUID()}`;
  await ensureUpdaterTable(main.client, tableName);
  store = { client: main.documentClient, tableName, now: main.now };
});

const manifest = (text: string) => Buffer.from(text).toString("base64");
const versionImage = (version: string, manifestText: string, extra: Record<string, unknown> = {}) =>
  marshall({
    __edb_e__: "version",
    __edb_v__: "1",
    version,
    templateSha256: SHA,
    manifest: manifest(manifestText),
    ...extra,
  });

describe("first seen", () => {
  it("keeps the first time: a later record (or an announcement) never moves it", async () => {
    const digest = versionDigest(SHA, Buffer.from("m1"));
    const first = await recordFirstSeen(store, digest, "1.1.0");
    main.clock.advance(5 * HOUR);
    expect(await recordFirstSeen(store, digest, "1.1.0")).toEqual(first);
    expect((await readFloorState(store, digest, "int_1")).firstSeenAt).toEqual(first);
  });

  it("is unknown for a digest never announced", async () => {
    expect((await readFloorState(store, versionDigest(SHA, Buffer.from("x")), "int_1")).firstSeenAt).toBeUndefined();
  });
});

describe("announce", () => {
  it("records version items at the updater's clock and ignores every other item", async () => {
    const announced = await announceImages(store, [
      versionImage("1.1.0", "m1", { graceEndsAt: "2020-01-01T00:00:00.000Z" }),
      marshall({ __edb_e__: "run", runId: "run_1", version: "1.1.0" }),
    ]);
    expect(announced).toEqual([
      { version: "1.1.0", digest: versionDigest(SHA, Buffer.from("m1")), firstSeenAt: main.now() },
    ]);
  });

  it("treats another manifest under the same version number as a new digest, first seen now", async () => {
    await announceImages(store, [versionImage("1.1.0", "m1")]);
    main.clock.advance(HOUR);
    const [second] = await announceImages(store, [versionImage("1.1.0", "m2")]);
    expect(second!.firstSeenAt).toEqual(main.now());
    const [again] = await announceImages(store, [versionImage("1.1.0", "m1")]);
    expect(again!.firstSeenAt).toEqual(new Date(main.now().getTime() - HOUR));
  });
});

describe("high-water mark", () => {
  it("rises and never falls", async () => {
    await raiseHighWater(store, "int_1", { sequence: 3, version: "1.2.0" });
    await raiseHighWater(store, "int_1", { sequence: 2, version: "1.1.0" });
    await raiseHighWater(store, "int_1", { sequence: 3, version: "1.2.0" });
    expect((await readFloorState(store, "d", "int_1")).highWater).toEqual({ sequence: 3, version: "1.2.0" });
    await raiseHighWater(store, "int_1", { sequence: 4, version: "1.3.0" });
    expect((await readFloorState(store, "d", "int_1")).highWater).toEqual({ sequence: 4, version: "1.3.0" });
    expect((await readFloorState(store, "d", "int_2")).highWater).toBeUndefined();
  });
});

describe("emergency stop", () => {
  it("is read with the rest and lifted by deleting the one item", async () => {
    await setEmergencyStop(store, { reason: "incident 42", setBy: "security:alice" });
    expect((await readFloorState(store, "d", "int_1")).stop).toEqual({
      reason: "incident 42",
      setBy: "security:alice",
    });
    await liftEmergencyStop(store);
    expect((await readFloorState(store, "d", "int_1")).stop).toBeUndefined();
  });
});
