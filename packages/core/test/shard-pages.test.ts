import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { WRITE_SHARDS } from "../src/db/write-shards";
import { isStackfleetError } from "../src/error";
import { Event } from "../src/event/index";
import { runHistory } from "../src/fleet/fleet";
import { RUN_STATES, Run, type RunState } from "../src/run/index";
import { pageByVersion } from "../src/run/queries";
import { versionItem } from "./support/records";

/**
 * Readers of the sharded indexes against DynamoDB Local: whatever the items and page sizes, they
 * return what one unsharded partition would — the index's own order (the sort key as DynamoDB
 * compares it, taken from the keys ElectroDB writes), every item once, across shard boundaries.
 */
let store: TestStore;
let versions = 0;
beforeAll(async () => {
  store = await createTestStore();
});

/** A fresh version per property run, so runs share one table without meeting. */
async function freshVersion(): Promise<string> {
  const n = ++versions;
  const version = `7.${n}.0`;
  await store.service.entities.version
    .create(versionItem(store.now().toISOString(), { version, sequence: 100 + n }))
    .go();
  return version;
}

const iso = (second: number) => new Date(Date.UTC(2026, 10, 21, 12, 0, second)).toISOString();
/** DynamoDB compares string keys as UTF-8 bytes. */
const byBytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

const runSpec = fc.record({ state: fc.constantFrom(...RUN_STATES), created: fc.integer({ min: 0, max: 50 }) });

async function putRuns(version: string, specs: { state: RunState; created: number }[]) {
  const runs = specs.map((spec, i) => ({
    runId: `run_${version}_${String(i).padStart(3, "0")}`,
    integrationId: `int_${i}`,
    tenantId: "ten_a",
    version,
    sequence: 1,
    attempt: 1,
    state: spec.state,
    scheduledFor: iso(0),
    // Every run in flight holds a lease (what the sweeper finds it by).
    leaseUntil: iso(60),
    leasedTo: "invocation" as const,
    createdAt: iso(spec.created),
    updatedAt: iso(spec.created),
  }));
  if (runs.length > 0) await store.service.entities.run.put(runs).go();
  // The index order: each run's `byVersion` sort key exactly as written.
  const keyOf = (run: (typeof runs)[number]) => store.service.entities.run.put(run).params().Item.gsi2sk as string;
  return runs.sort((a, b) => byBytes(keyOf(a), keyOf(b))).map((r) => r.runId);
}

async function appendEvents(version: string, seconds: number[]) {
  const events: Event.EventRecord[] = [];
  for (const second of seconds) {
    store.clock.set(iso(second));
    events.push(await Event.append(store, { actor: "system:test", action: "x", version }));
  }
  const keyOf = (e: (typeof events)[number]) => store.service.entities.event.put(e).params().Item.gsi3sk as string;
  return events.sort((a, b) => byBytes(keyOf(b), keyOf(a))).map((e) => e.eventId);
}

async function allPages<T>(read: (cursor: string | null) => Promise<{ items: T[]; cursor: string | null }>) {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const page: { items: T[]; cursor: string | null } = await read(cursor);
    pages.push(page.items);
    cursor = page.cursor;
    expect(pages.length).toBeLessThan(500);
  } while (cursor);
  return pages;
}

describe("paging across write shards", () => {
  it("a version's events, newest first: every page is the next slice of the index order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 45 }),
        fc.integer({ min: 1, max: 12 }),
        async (seconds, limit) => {
          const version = await freshVersion();
          const expected = await appendEvents(version, seconds);
          const pages = await allPages((cursor) => Event.byVersion(store, version, { limit, cursor }));
          expect(pages.flat().map((e) => e.eventId)).toEqual(expected);
          for (const page of pages.slice(0, -1)) expect(page).toHaveLength(limit);
        },
      ),
      { numRuns: 12 },
    );
  }, 240_000);

  it("a version's runs for operators: pages are the index order's slices (each listed newest first), each run once", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(runSpec, { maxLength: 60 }), fc.integer({ min: 1, max: 12 }), async (specs, limit) => {
        const version = await freshVersion();
        const expected = await putRuns(version, specs);
        const pages = await allPages((cursor) => runHistory(store, version, { limit, cursor }));
        let offset = 0;
        for (const page of pages) {
          const ids = page.map((r) => r.runId);
          expect(new Set(ids)).toEqual(new Set(expected.slice(offset, offset + page.length)));
          expect(page.map((r) => r.createdAt)).toEqual(
            page
              .map((r) => r.createdAt)
              .sort()
              .reverse(),
          );
          offset += page.length;
        }
        expect(offset).toBe(expected.length);
        // Everything at once: the same order, one query per shard.
        expect((await Run.byVersion(store, version)).map((r) => r.runId)).toEqual(expected);
      }),
      { numRuns: 12 },
    );
  }, 240_000);

  it("the loops that cancel or wake a version's waiting runs visit each once, even as they change them", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(runSpec, { maxLength: 60 }), fc.integer({ min: 1, max: 40 }), async (specs, limit) => {
        const version = await freshVersion();
        await putRuns(version, specs);
        const waiting = (await Run.byVersion(store, version, "scheduled")).map((r) => r.runId);
        const seen: string[] = [];
        let cursor: string | null = null;
        do {
          const page: { data: Run.RunRecord[]; cursor: string | null } = await pageByVersion(
            store,
            version,
            "scheduled",
            { limit, cursor },
          );
          expect(page.data.length).toBeLessThanOrEqual(Math.ceil(limit / WRITE_SHARDS) * WRITE_SHARDS);
          for (const run of page.data) {
            seen.push(run.runId);
            await Run.transition(store, { run, to: "cancelled", actor: "system:test", action: "run.cancelled" });
          }
          cursor = page.cursor;
        } while (cursor);
        expect(seen.sort()).toEqual(waiting.sort());
        expect(await Run.byVersion(store, version, "scheduled")).toEqual([]);
      }),
      { numRuns: 10 },
    );
  }, 240_000);

  it("refuses a cursor it did not issue (400 invalid_cursor), reading nothing", async () => {
    const version = await freshVersion();
    for (const cursor of ["garbage", Buffer.from(JSON.stringify({ at: 1 })).toString("base64url"), "e30"]) {
      const refused = await Event.byVersion(store, version, { cursor }).catch((e: unknown) => e);
      expect(isStackfleetError(refused, "input") && refused.code).toBe("invalid_cursor");
    }
    for (const cursor of ["W10", "[]", JSON.stringify(Array(WRITE_SHARDS).fill(1))]) {
      const refused = await pageByVersion(store, version, "scheduled", { limit: 5, cursor }).catch((e) => e);
      expect(isStackfleetError(refused, "input") && refused.code).toBe("invalid_cursor");
    }
  });
});
