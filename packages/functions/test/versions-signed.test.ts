import { generateKeyPairSync } from "node:crypto";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog";
import type { ApiConfig } from "@stackfleet/core/config";
import { pinnedKeyOf } from "@stackfleet/core/signing";
import { buildManifest } from "@stackfleet/core/version/manifest";
import { signManifest } from "@stackfleet/core/version/release";
import { type SignReleaseInput, signRelease } from "@stackfleet/core/version/release-tool";
import { LocalKeySigner } from "@stackfleet/local/dev/signer";
import { beforeEach, describe, expect, it } from "vitest";
import { awsApiAdapters } from "../src/wiring/api";
import { createTestApi, createTestPublishing, type TestApi, testTemplate } from "./support/api";

const newKey = () => new LocalKeySigner(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
const releaseKey = newKey();
const approverKey = newKey();

const v1 = testTemplate("1.0.0");
const v11 = testTemplate("1.1.0");
const v2 = testTemplate("2.0.0", [{ Effect: "Allow", Action: ["iam:*"], Resource: "*" }]);
const encode = (text: string) => new TextEncoder().encode(text);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

let api: TestApi;
let operator: Record<string, string>;
beforeEach(async () => {
  const publishing = await createTestPublishing();
  // As the Lambda is wired: no signer; release and approver keys pinned apart.
  const { signer: _, ...release } = publishing.release;
  api = await createTestApi({
    publishing: {
      ...publishing,
      release: { ...release, pinnedKeys: [await pinnedKeyOf(releaseKey)] },
      approverKeys: [await pinnedKeyOf(approverKey)],
    },
  });
  operator = await api.headersFor({ role: "operator", subject: "release@acme" });
});

const read = async (res: Response) => (await res.json()) as any;
const post = (path: string, body: unknown) =>
  api.app.request(path, {
    method: "POST",
    headers: { ...operator, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

/** `POST /v1/versions` with a template and its signed manifest. */
const upload = (template: string, signed: { manifestBytes: Uint8Array; signature: Uint8Array; keyId: string }) =>
  post("/v1/versions", {
    template: b64(encode(template)),
    manifest: b64(signed.manifestBytes),
    signature: b64(signed.signature),
    keyId: signed.keyId,
  });

type Overrides = Partial<SignReleaseInput> & { signer?: LocalKeySigner; broadening?: boolean };

/** What `stackfleet versions release` does: sign against the previous verified version, upload. */
async function release(version: string, template: string, overrides: Overrides = {}) {
  const { signer = releaseKey, ...input } = overrides;
  const latest = (await read(await api.app.request("/v1/versions", { headers: operator }))).items[0];
  const base = latest ? { version: latest.version, templateBytes: await rawTemplate(latest.version) } : null;
  const signed = await signRelease(
    {
      templateBytes: encode(template),
      version,
      product: api.deps.publishing.product,
      stackPrefix: api.deps.publishing.stackPrefix,
      latest: latest ? { version: latest.version, sequence: latest.sequence } : null,
      base,
      policy: DEFAULT_GRACE_POLICY,
      lifetimeDays: 90,
      now: api.store.now(),
      ...input,
    },
    signer,
  );
  return upload(template, signed);
}

async function rawTemplate(version: string) {
  const res = await api.app.request(`/v1/versions/${version}/template?format=raw`, { headers: operator });
  return new Uint8Array(await res.arrayBuffer());
}

const versionCount = async () => (await api.deps.service.entities.version.scan.go()).data.length;

async function refused(res: Response, status: number, code: string) {
  expect({ status: res.status, code: (await read(res)).error?.code }).toEqual({ status, code });
}

describe("publishing a release signed outside the API", () => {
  it("the Lambda wiring holds no signer: the one-step form is 400 signing_not_available and records nothing", async () => {
    const adapters = awsApiAdapters(
      {
        jwt: { issuer: "https://idp", audience: "a", jwksUrl: "https://idp/jwks" },
        templateBucket: "b",
        pinnedKeys: [],
      } as unknown as ApiConfig,
      { error: () => undefined },
    );
    expect(adapters.release).not.toHaveProperty("signer");
    await refused(await post("/v1/versions", { version: "1.0.0", template: v1 }), 400, "signing_not_available");
    expect(await versionCount()).toBe(0);
  });

  it("stores a genuine release as signed: the manifest's grace end, its broadening verdict, approval pending", async () => {
    const res = await release("1.0.0", v1);
    expect(res.status).toBe(201);
    const body = await read(res);
    // The first version broadens against nothing: the broadening grace, and an approver must sign.
    expect(body).toMatchObject({ approvalRequired: true, permissionsBroadened: true, plan: null });
    expect(body.manifest).toMatchObject({ broadening: true, keyId: releaseKey.keyId, sequence: 1 });
    expect(body.graceEndsAt).toBe(body.manifest.notBefore);
    expect(Date.parse(body.graceEndsAt) - api.store.now().getTime()).toBe(72 * 3_600_000);
    expect(await rawTemplate("1.0.0")).toEqual(encode(v1));
  });

  it("refuses a manifest signed by an unpinned key, and one whose template bytes differ", async () => {
    await refused(await release("1.0.0", v1, { signer: newKey() }), 403, "key_not_pinned");
    const signed = await read(await release("1.0.0", v1));
    expect(signed.version).toBe("1.0.0");
    api.store.clock.advance(60_000);
    const latest = { version: "1.0.0", sequence: 1 };
    const genuine = await signRelease(
      {
        templateBytes: encode(v11),
        version: "1.1.0",
        product: "acme",
        stackPrefix: api.deps.publishing.stackPrefix,
        latest,
        base: { version: "1.0.0", templateBytes: encode(v1) },
        policy: DEFAULT_GRACE_POLICY,
        lifetimeDays: 90,
        now: api.store.now(),
      },
      releaseKey,
    );
    const swapped = {
      template: b64(encode(v11.replace("SecurityAudit", "AdministratorAccess"))),
      manifest: b64(genuine.manifestBytes),
      signature: b64(genuine.signature),
      keyId: genuine.keyId,
    };
    await refused(await post("/v1/versions", swapped), 403, "template_mismatch");
    expect(await versionCount()).toBe(1);
  });

  it("refuses a grace-0 manifest for a broadening change, and a lying broadening verdict", async () => {
    await release("1.0.0", v1);
    api.store.clock.advance(60_000);
    // The release tool itself refuses too little grace; a hand-rolled tool (or a stolen key) gets the API's 400.
    const rogue = { ...DEFAULT_GRACE_POLICY, defaultHours: 0, broadeningHours: 0 };
    await refused(await release("2.0.0", v2, { policy: rogue }), 400, "grace_too_short");
    await refused(await release("2.0.0", v2, { policy: rogue, graceHours: 24 }), 400, "grace_too_short");
    const lying = await signRelease(
      {
        templateBytes: encode(v2),
        version: "2.0.0",
        product: "acme",
        stackPrefix: api.deps.publishing.stackPrefix,
        latest: { version: "1.0.0", sequence: 1 },
        // Diffing against the new template itself: nothing broadens, so the verdict is "false".
        base: { version: "1.0.0", templateBytes: encode(v2) },
        policy: DEFAULT_GRACE_POLICY,
        lifetimeDays: 90,
        now: api.store.now(),
      },
      releaseKey,
    );
    expect(lying.manifest.broadening).toBe(false);
    const res = await upload(v2, lying);
    await refused(res, 400, "broadening_mismatch");
    expect(await versionCount()).toBe(1);
    const honest = await release("2.0.0", v2);
    expect(honest.status).toBe(201);
    expect(await read(honest)).toMatchObject({ permissionsBroadened: true, approvalRequired: true, plan: null });
  });

  it("re-derives times, lifetime and capabilities: a stale, future-dated, overlong or over-privileged manifest is refused", async () => {
    await release("1.0.0", v1);
    api.store.clock.advance(60_000);
    const now = api.store.now().getTime();
    await refused(await release("1.1.0", v11, { now: new Date(now - 2 * 3_600_000) }), 400, "manifest_stale");
    await refused(await release("1.1.0", v11, { now: new Date(now + 3_600_000) }), 400, "manifest_issued_in_future");
    await refused(await release("1.1.0", v11, { lifetimeDays: 91 }), 400, "manifest_lifetime");
    const latest = { version: "1.0.0", sequence: 1 };
    const genuine = await signRelease(
      {
        templateBytes: encode(v11),
        version: "1.1.0",
        product: "acme",
        stackPrefix: "Acme",
        latest,
        base: null,
        policy: DEFAULT_GRACE_POLICY,
        lifetimeDays: 90,
        now: api.store.now(),
      },
      releaseKey,
    );
    // The same manifest granting one more capability than the template needs, signed by the genuine key.
    const wider = buildManifest({
      ...genuine.manifest,
      capabilities: [...genuine.manifest.capabilities, "CAPABILITY_AUTO_EXPAND"],
      notBefore: new Date(genuine.manifest.notBefore),
      expiresAt: new Date(genuine.manifest.expiresAt),
      issuedAt: new Date(genuine.manifest.issuedAt),
    });
    const signed = await signManifest(releaseKey, wider);
    const res = await upload(v11, signed);
    await refused(res, 400, "capabilities_mismatch");
    expect(await versionCount()).toBe(1);
  });

  it("refuses a replayed or out-of-order sequence", async () => {
    await release("1.0.0", v1);
    api.store.clock.advance(60_000);
    await refused(await release("1.1.0", v11, { latest: null }), 409, "sequence_not_next");
  });

  it("approves only with a pinned approver key, never the release key, and then plans", async () => {
    const published = await read(await release("1.0.0", v1));
    const manifestBytes = Buffer.from(published.signed.manifest, "base64");
    const approve = async (signer: LocalKeySigner) =>
      post("/v1/versions/1.0.0/approve", { keyId: signer.keyId, signature: b64(await signer.sign(manifestBytes)) });
    await refused(await approve(releaseKey), 400, "approval_invalid");
    await refused(await approve(newKey()), 400, "approval_invalid");
    await refused(await post("/v1/versions/1.0.0/approve", {}), 400, "invalid_request");
    const pending = await read(await api.app.request("/v1/versions/1.0.0", { headers: operator }));
    expect(pending.signed.approval).toBeUndefined();

    const res = await approve(approverKey);
    expect(res.status).toBe(200);
    expect(await read(res)).toMatchObject({ approvedBy: "operator:release@acme" });
    const approved = await read(await api.app.request("/v1/versions/1.0.0", { headers: operator }));
    expect(approved.signed.approval).toMatchObject({ keyId: approverKey.keyId });
  });

  it("a non-broadening release with the default grace rolls out without approval", async () => {
    await release("1.0.0", v1);
    api.store.clock.advance(60_000);
    const res = await release("1.1.0", v11);
    expect(res.status).toBe(201);
    const body = await read(res);
    expect(body).toMatchObject({ permissionsBroadened: false, approvalRequired: false });
    expect(Date.parse(body.graceEndsAt) - api.store.now().getTime()).toBe(24 * 3_600_000);
  });
});
