import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { DEFAULT_GRACE_POLICY } from "../src/changelog/index";
import { isStackfleetError, notFound } from "../src/error";
import { Event } from "../src/event/index";
import { pinnedKeyOf } from "../src/signing/pinned";
import { sha256Hex, type TemplateStore } from "../src/template-store/template-store";
import { customerVerdict } from "../src/version/customer-changelog";
import { Halts, Publish, Version } from "../src/version/index";
import type { PublishContext } from "../src/version/publish";
import { newLocalSigner } from "./support/release";

/** Stored bytes by digest; tests overwrite an entry to play a tampered bucket. */
class MemoryStore implements TemplateStore {
  readonly bytes = new Map<string, Uint8Array>();
  async put(bytes: Uint8Array) {
    const sha256 = sha256Hex(bytes);
    this.bytes.set(sha256, bytes);
    return { sha256, location: `memory://${sha256}` };
  }
  async get(sha256: string) {
    const found = this.bytes.get(sha256);
    if (!found) throw notFound("template_not_found", `no template ${sha256}`);
    return found;
  }
}

const template = (version: string, actions: string[]) =>
  new TextEncoder().encode(`Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{ Effect: Allow, Principal: { AWS: "arn:aws:iam::111111111111:root" }, Action: sts:AssumeRole }]
      Policies:
        - PolicyName: read
          PolicyDocument:
            Statement: [{ Effect: Allow, Action: [${actions.join(", ")}], Resource: "*" }]
Outputs:
  TemplateVersion: { Value: "${version}" }
`);

let store: TestStore;
let templates: MemoryStore;
let ctx: PublishContext;
const OPERATOR = "operator:alice" as const;

beforeEach(async () => {
  store = await createTestStore();
  templates = new MemoryStore();
  const signer = newLocalSigner();
  ctx = {
    release: { signer, store: templates, pinnedKeys: [await pinnedKeyOf(signer)] },
    product: "acme",
    stackPrefix: "Acme",
    grace: DEFAULT_GRACE_POLICY,
    manifestLifetimeDays: 90,
  };
});
afterEach(() => undefined);

const publish = (version: string, actions: string[]) =>
  Publish.publish(store, ctx, { templateBytes: template(version, actions), version }, OPERATOR);

async function threeVersions() {
  await publish("1.0.0", ["s3:GetObject"]);
  const broadening = await publish("1.1.0", ["s3:GetObject", "s3:PutObject"]);
  const next = await publish("1.2.0", ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]);
  return { broadening, next };
}

describe("per-integration changelogs", () => {
  it("shows a skipped broadening version's changes and longer grace to the skipper only", async () => {
    const { broadening, next } = await threeVersions();
    expect(broadening.permissionsBroadened).toBe(true);
    // Against the previous published version 1.2.0 adds ListBucket: broadening too, so make the
    // comparison meaningful by checking the actions the skipper sees.
    const fromOld = await Publish.changelogBetween(store, ctx, await Version.get(store, "1.0.0"), next);
    const fromPrev = await Publish.changelogBetween(store, ctx, broadening, next);
    expect(fromOld.permissions.added.map((p) => p.action).sort()).toEqual(["s3:ListBucket", "s3:PutObject"]);
    expect(fromPrev.permissions.added.map((p) => p.action)).toEqual(["s3:ListBucket"]);
  });

  it("gives the skipper the broadening grace when only the skipped version broadened", async () => {
    await publish("1.0.0", ["s3:GetObject"]);
    await publish("1.1.0", ["s3:GetObject", "s3:PutObject"]);
    store.clock.advance(3_600_000);
    const next = await publish("1.2.0", ["s3:GetObject", "s3:PutObject"]);
    expect(next.permissionsBroadened).toBe(false);
    const skipper = await customerVerdict(store, await Version.get(store, "1.0.0"), next);
    const stayer = await customerVerdict(store, await Version.get(store, "1.1.0"), next);
    expect(skipper).toMatchObject({ from: "1.0.0", permissionsBroadened: true, graceHours: 72 });
    expect(skipper.summary).toMatch(/Broadens/);
    expect(stayer).toMatchObject({ from: "1.1.0", permissionsBroadened: false, graceHours: 24 });
    expect(stayer.graceEndsAt).toBe(next.graceEndsAt);
    expect(Date.parse(skipper.graceEndsAt) - Date.parse(next.createdAt)).toBe(72 * 3_600_000);
  });

  it("treats a pair it has no verified changelog for as broadening", async () => {
    await publish("1.0.0", ["s3:GetObject"]);
    const next = await publish("1.1.0", ["s3:GetObject"]);
    const changedBytes = { version: "1.0.0", templateSha256: "f".repeat(64) };
    expect(await customerVerdict(store, changedBytes, next)).toMatchObject({
      permissionsBroadened: true,
      graceHours: 72,
    });
    expect(await customerVerdict(store, undefined, next)).toMatchObject({
      permissionsBroadened: false,
      graceHours: 24,
    });
  });
});

describe("version marker", () => {
  it("refuses a template that names another version, and records nothing", async () => {
    const wrong = Publish.publish(
      store,
      ctx,
      { templateBytes: template("1.0.0", ["s3:GetObject"]), version: "1.1.0" },
      OPERATOR,
    );
    await expect(wrong).rejects.toMatchObject({ kind: "input", code: "version_marker_mismatch" });
    expect(await Version.latest(store)).toBeUndefined();
    expect(templates.bytes.size).toBe(0);
  });
});

describe("integrity is version-wide", () => {
  it("quarantines a version whose stored bytes changed and computes the next changelog from verified bytes", async () => {
    await threeVersions();
    const tampered = await Version.get(store, "1.2.0");
    templates.bytes.set(tampered.templateSha256, template("1.2.0", ["iam:*"]));
    const after = await publish("1.3.0", ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"]);

    const quarantined = await Version.get(store, "1.2.0");
    expect(quarantined.state).toBe("halted");
    expect(quarantined.quarantinedAt).toBeDefined();
    const events = await Event.byVersion(store, "1.2.0");
    expect(events.items.map((e) => e.action).sort()).toEqual([
      "operator.alert",
      "version.published",
      "version.quarantined",
    ]);
    // The base fell back to 1.1.0, the newest version whose bytes still verify; never `iam:*`.
    const changelog = after.changelog as {
      from: string;
      permissions: { added: { action: string }[]; removed: unknown[] };
    };
    expect(changelog.from).toBe("1.1.0");
    expect(changelog.permissions.added.map((p) => p.action).sort()).toEqual(["s3:DeleteObject", "s3:ListBucket"]);
    expect(changelog.permissions.removed).toEqual([]);

    const resumed = Halts.resumeVersion(store, "1.2.0", OPERATOR);
    await expect(resumed).rejects.toMatchObject({ code: "version_quarantined" });
    const between = Publish.changelogBetween(store, ctx, quarantined, after).catch((e) => e);
    expect(isStackfleetError(await between, "conflict")).toBe(true);
  });

  it("publishes against the newest readable version when an older one's bytes are gone", async () => {
    await threeVersions();
    const lost = await Version.get(store, "1.2.0");
    templates.bytes.delete(lost.templateSha256);
    const after = await publish("1.3.0", ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]);
    expect((after.changelog as { from: string }).from).toBe("1.1.0");
    // No verified pair from the lost version: its customers get the broadening verdict, no summary.
    const fromLost = await customerVerdict(store, lost, after);
    expect(fromLost).toMatchObject({ permissionsBroadened: true, graceHours: 72 });
    expect(fromLost.summary).toBeUndefined();
    expect((await customerVerdict(store, await Version.get(store, "1.1.0"), after)).summary).toMatch(/Broadens/);
  });
});
