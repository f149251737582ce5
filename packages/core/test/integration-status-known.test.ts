import { beforeEach, describe, expect, it } from "vitest";
import { recordConnected } from "../../../test/support/integrations";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { computeChangelog } from "../src/changelog/index";
import type { IntegrationRecord } from "../src/integration/integration";
import { integrationDetail } from "../src/integration-status/detail";
import { knownFacts } from "../src/integration-status/known";
import { Run } from "../src/run/index";
import { parseTemplate } from "../src/template/parse";
import { storePair } from "../src/version/customer-changelog";
import { Halts } from "../src/version/index";
import type { VersionRecord } from "../src/version/version";

/**
 * The detail view remembers what cannot change (an installed version's digest, a changelog pair
 * for the digests it names) and reads the rest fresh: these tests look at the keys its one batch
 * asks for, and at the answers staying the same.
 */
let store: TestStore;
let batches: Array<Array<{ sk: string }>>;
let integration: IntegrationRecord;
let pairSummary: string;

const HOUR = 3_600_000;
async function version(v: string, sequence: number, sha: string): Promise<VersionRecord> {
  const now = store.now();
  const item = {
    ...{ version: v, sequence, templateSha256: sha.repeat(64), templateSize: 100 },
    ...{ templateLocation: "local://templates/x", manifest: "e30=", signature: "AA==", keyId: "test" },
    ...{ changelogSummary: `What changes in ${v}`, permissionsBroadened: false, approvalRequired: false },
    graceEndsAt: new Date(now.getTime() + 24 * HOUR).toISOString(),
    ...{ state: "published" as const, publishedBy: "operator:test" },
    ...{ createdAt: now.toISOString(), updatedAt: now.toISOString() },
  };
  await store.service.entities.version.create(item).go();
  return item as VersionRecord;
}

const template = (topics: string[]) =>
  parseTemplate(JSON.stringify({ Resources: Object.fromEntries(topics.map((t) => [t, { Type: "AWS::SNS::Topic" }])) }));

const detail = () => integrationDetail(store, "ten_a", integration.integrationId);
const keysOf = (batch: Array<{ sk: string }> | undefined) => (batch ?? []).map((k) => k.sk);
const installedKey = "$version_1#sequence_0000000001";
const pairKey = "$changelogpair_1";

describe("the detail view's batch", () => {
  beforeEach(async () => {
    store = await createTestStore();
    batches = [];
    const send = store.documentClient.send.bind(store.documentClient) as (...args: unknown[]) => Promise<unknown>;
    store.documentClient.send = ((command: { constructor: { name: string }; input: any }, ...rest: unknown[]) => {
      if (command.constructor.name === "BatchGetCommand")
        batches.push(Object.values(command.input.RequestItems as Record<string, { Keys: [] }>)[0]!.Keys);
      return send(command, ...rest);
    }) as typeof store.documentClient.send;
    const installed = await version("1.0.0", 1, "a");
    const target = await version("1.1.0", 2, "b");
    const changelog = computeChangelog(template(["A"]), template(["A", "B"]), { from: "1.0.0", to: "1.1.0" });
    pairSummary = (await storePair(store, installed, target, changelog)).summary;
    // Newer publications, so the installed version is not among the newest the batch reads anyway.
    for (const [v, sequence] of [
      ["1.2.0", 3],
      ["1.3.0", 4],
      ["1.4.0", 5],
    ] as const)
      await version(v, sequence, "c");
    integration = await recordConnected(store, "ten_a", "333333333333", "eu-west-1", { currentSequence: 1 });
    const run = { integrationId: integration.integrationId, tenantId: "ten_a", version: "1.1.0", sequence: 2 };
    await Run.create(
      store,
      { ...run, attempt: 1, scheduledFor: new Date(target.graceEndsAt) },
      { actor: "system:planner", action: "update.scheduled" },
    );
  });

  it("reads the installed version and the pair once per process, then only what may change", async () => {
    const first = await detail();
    expect(keysOf(batches[0])).toEqual(expect.arrayContaining([installedKey, pairKey]));
    const second = await detail();
    expect(keysOf(batches[1])).not.toContain(installedKey);
    expect(keysOf(batches[1])).not.toContain(pairKey);
    // Still read every time: the global halt and the target version (its state is a halt).
    expect(keysOf(batches[1])).toEqual(
      expect.arrayContaining(["$control_1#name_global", "$version_1#sequence_0000000002"]),
    );
    expect(second.truth).toEqual(first.truth);
    // The pair's verdict, not the version's own (which says "What changes in 1.1.0").
    expect(second.truth.pendingUpdate).toMatchObject({ from: "1.0.0", changelogSummary: pairSummary });
  });

  it("a halt after the digests are known still pauses the next view", async () => {
    await detail();
    await Halts.haltVersion(store, "1.1.0", "operator:ops", "bad canary");
    expect((await detail()).truth.status).toMatchObject({ state: "paused", halt: "version", reason: "bad canary" });
    await Halts.setGlobalHalt(store, true, "operator:ops", "incident");
    expect((await detail()).truth.status).toMatchObject({ state: "paused", halt: "global", reason: "incident" });
  });
});

describe("knownFacts", () => {
  const bytes = (version: string, sha: string) => ({ version, sequence: 1, templateSha256: sha });
  const pair = { from: "1.0.0", to: "1.1.0", fromSha256: "a", toSha256: "b", summary: "s" } as never;

  it("gives a pair back only for the digests it was computed from", () => {
    const known = knownFacts({ service: {} } as never);
    known.rememberPair(pair);
    expect(known.pair(bytes("1.0.0", "a"), bytes("1.1.0", "b"))).toBe(pair);
    expect(known.pair(bytes("1.0.0", "a"), bytes("1.1.0", "c"))).toBeUndefined();
    expect(known.pair(bytes("1.0.0", "x"), bytes("1.1.0", "b"))).toBeUndefined();
  });

  it("keeps a bounded number of entries, forgetting the oldest", () => {
    const known = knownFacts({ service: {} } as never);
    for (let s = 1; s <= 2_001; s++) known.rememberVersion({ version: `1.${s}.0`, sequence: s, templateSha256: "a" });
    expect(known.bytes(1)).toBeUndefined();
    expect(known.bytes(2)).toMatchObject({ version: "1.2.0" });
    expect(known.bytes(2_001)).toMatchObject({ version: "1.2001.0" });
  });
});
