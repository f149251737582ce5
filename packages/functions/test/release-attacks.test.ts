/**
 * Attacks on `POST /v1/versions` (signed release) and `POST /v1/versions/{v}/approve` as an
 * attacker holding the operator token — and, where said, the release key — would try them
 * (issue 11, "assume breach"). Every attempt must be refused with the error contract and leave
 * the table exactly as it was (the API records nothing on a refused publication, README
 * "Release flow" step 2). Each test fails if its attack gets through.
 */
import { generateKeyPairSync } from "node:crypto";
import { DEFAULT_GRACE_POLICY } from "@stackfleet/core/changelog";
import { type PinnedKey, pinnedKeyOf } from "@stackfleet/core/signing";
import { buildManifest, type Manifest, type ManifestInput } from "@stackfleet/core/version/manifest";
import { signManifest } from "@stackfleet/core/version/release";
import { signRelease } from "@stackfleet/core/version/release-tool";
import { LocalKeySigner } from "@stackfleet/local/dev/signer";
import { beforeEach, describe, expect, it } from "vitest";
import { tableSnapshot } from "../../../test/support/store";
import { createTestApi, createTestPublishing, type TestApi, testTemplate } from "./support/api";

const newKey = () => new LocalKeySigner(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey);
const releaseKey = newKey();
const secondReleaseKey = newKey();
const approverKey = newKey();
const HOUR = 3_600_000;

const v1 = testTemplate("1.0.0");
const v11 = testTemplate("1.1.0");
const v2 = testTemplate("2.0.0", [{ Effect: "Allow", Action: ["iam:*"], Resource: "*" }]);
const encode = (text: string) => new TextEncoder().encode(text);
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
type Json = Record<string, any>;

let api: TestApi;
let operator: Record<string, string>;
let releasePins: { pinnedKeys: readonly PinnedKey[] };
beforeEach(async () => {
  const publishing = await createTestPublishing();
  const { signer: _, ...release } = publishing.release;
  // Mutable on purpose: a test unpins a key mid-way, as a revocation would.
  const pins = Object.assign(release, {
    pinnedKeys: [await pinnedKeyOf(releaseKey), await pinnedKeyOf(secondReleaseKey)],
  });
  releasePins = pins;
  api = await createTestApi({
    publishing: {
      ...publishing,
      release: pins,
      approverKeys: [await pinnedKeyOf(approverKey)],
    },
  });
  operator = await api.headersFor({ role: "operator", subject: "attacker@acme" });
});

const post = (path: string, body: unknown) =>
  api.app.request(path, {
    method: "POST",
    headers: { ...operator, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
const read = async (res: Response) => (await res.json()) as Json;

/** The whole table, in a stable order (as fuzz.test.ts takes it). */
const snapshot = (): Promise<Json[]> => tableSnapshot(api.store);

/** Sends the attempt and checks: this status and code, the error contract, the table untouched. */
async function refused(attempt: () => Response | Promise<Response>, status: number, code: string) {
  const before = await snapshot();
  const res = await attempt();
  const body = await read(res);
  expect({ status: res.status, code: body.error?.code }).toEqual({ status, code });
  expect(typeof body.error.message).toBe("string");
  expect(await snapshot(), "a refused request changed the table").toEqual(before);
  return body;
}

async function rawTemplate(version: string) {
  const res = await api.app.request(`/v1/versions/${version}/template?format=raw`, { headers: operator });
  return new Uint8Array(await res.arrayBuffer());
}

type Signed = { manifest: Manifest; manifestBytes: Uint8Array; signature: Uint8Array; keyId: string };

/** What the release tool signs for `version` against what is published now. */
async function sign(version: string, template: string, signer = releaseKey): Promise<Signed> {
  const latest = (await read(await api.app.request("/v1/versions", { headers: operator }))).items[0];
  return signRelease(
    {
      templateBytes: encode(template),
      version,
      product: api.deps.publishing.product,
      stackPrefix: api.deps.publishing.stackPrefix,
      latest: latest ? { version: latest.version, sequence: latest.sequence } : null,
      base: latest ? { version: latest.version, templateBytes: await rawTemplate(latest.version) } : null,
      policy: DEFAULT_GRACE_POLICY,
      lifetimeDays: 90,
      now: api.store.now(),
    },
    signer,
  );
}

/** A genuine manifest with some fields changed, signed by `signer` (a holder of the release key). */
async function resign(genuine: Manifest, changes: Partial<ManifestInput>, signer = releaseKey): Promise<Signed> {
  const manifest = buildManifest({
    ...genuine,
    notBefore: new Date(genuine.notBefore),
    expiresAt: new Date(genuine.expiresAt),
    issuedAt: new Date(genuine.issuedAt),
    keyId: signer.keyId,
    ...changes,
  });
  return { manifest, ...(await signManifest(signer, manifest)) };
}

const body = (template: string | Uint8Array, signed: Omit<Signed, "manifest">, keyId = signed.keyId) => ({
  template: b64(typeof template === "string" ? encode(template) : template),
  manifest: b64(signed.manifestBytes),
  signature: b64(signed.signature),
  keyId,
});

async function publish(version: string, template: string) {
  const res = await post("/v1/versions", body(template, await sign(version, template)));
  expect(res.status, JSON.stringify(await res.clone().json())).toBe(201);
  return read(res);
}

async function approve(version: string, signer = approverKey) {
  const published = await read(await api.app.request(`/v1/versions/${version}`, { headers: operator }));
  const manifestBytes = Buffer.from(published.signed.manifest, "base64");
  return { keyId: signer.keyId, signature: b64(await signer.sign(manifestBytes)) };
}

/** P-256's order: (r, s) and (r, n − s) are both valid signatures of the same bytes. */
const N = BigInt("0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
function highSTwin(der: Uint8Array): Uint8Array {
  const sig = Buffer.from(der);
  const r = sig.subarray(2, 4 + sig[3]!);
  const s = BigInt(`0x${sig.subarray(6 + sig[3]!).toString("hex")}`);
  let hex = (N - s).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let twin = Buffer.from(hex, "hex");
  if (twin[0]! & 0x80) twin = Buffer.concat([Buffer.from([0]), twin]);
  const content = Buffer.concat([r, Buffer.from([0x02, twin.length]), twin]);
  return new Uint8Array(Buffer.concat([Buffer.from([0x30, content.length]), content]));
}

describe("alternative encodings of the upload", () => {
  it("base64 with whitespace, without padding or in the URL alphabet is 400 invalid_request", async () => {
    const signed = await sign("1.0.0", v1);
    const genuine = body(v1, signed);
    const spaced = (s: string) => `${s.slice(0, 8)}\n ${s.slice(8)}`;
    const unpadded = (s: string) => s.replace(/=+$/, "");
    const urlSafe = (s: string) => s.replace(/\+/g, "-").replace(/\//g, "_");
    for (const field of ["template", "manifest", "signature"] as const) {
      for (const variant of [spaced, unpadded, urlSafe]) {
        const changed = variant(genuine[field]);
        if (changed === genuine[field]) continue;
        await refused(() => post("/v1/versions", { ...genuine, [field]: changed }), 400, "invalid_request");
      }
    }
    expect((await post("/v1/versions", genuine)).status).toBe(201);
  });

  it("the raw r‖s signature form and a signature with trailing bytes are refused", async () => {
    const signed = await sign("1.0.0", v1);
    const der = Buffer.from(signed.signature);
    const rLen = der[3]!;
    const raw = Buffer.concat([der.subarray(4, 4 + rLen), der.subarray(6 + rLen)].map((x) => x.subarray(-32)));
    const trailing = Buffer.concat([der, Buffer.from([0])]);
    for (const variant of [raw, trailing]) {
      // Malformed (400) or not verifying (403) depending on the bytes' lengths; never accepted.
      const res = await post("/v1/versions", { ...body(v1, signed), signature: b64(new Uint8Array(variant)) });
      const { error } = await read(res);
      expect({ status: res.status, code: error?.code }).toSatisfy(
        (r: Json) =>
          (r.status === 400 && r.code === "signature_malformed") ||
          (r.status === 403 && r.code === "signature_invalid"),
      );
      expect(await snapshot()).toEqual([]);
    }
  });

  it("a manifest the release key signed in a second spelling (pretty-printed) is refused manifest_invalid", async () => {
    const signed = await sign("1.0.0", v1);
    const pretty = encode(JSON.stringify(JSON.parse(new TextDecoder().decode(signed.manifestBytes)), null, 1));
    const respelled = { manifestBytes: pretty, signature: await releaseKey.sign(pretty), keyId: releaseKey.keyId };
    await refused(() => post("/v1/versions", body(v1, respelled)), 400, "manifest_invalid");
  });

  it("a JSON body with a duplicate field takes one value and is still verified against the signature", async () => {
    const signed = await sign("1.0.0", v1);
    const genuine = body(v1, signed);
    const foreign = b64(await newKey().sign(signed.manifestBytes));
    // Whichever duplicate the body parser keeps, the foreign one never verifies.
    const text = JSON.stringify(genuine).replace('"signature":', `"signature":"${foreign}","signature":`);
    const reversed = JSON.stringify(genuine).replace(
      /"signature":"[^"]+"/,
      `"signature":"${genuine.signature}","signature":"${foreign}"`,
    );
    const first = await post("/v1/versions", reversed);
    expect(first.status).toBe(403);
    const second = await post("/v1/versions", text);
    expect(second.status).toBe(201);
  });
});

describe("shape confusion", () => {
  it("a body mixing the signed and the one-step forms, or a 5 MB upload, is refused without a write", async () => {
    const signed = await sign("1.0.0", v1);
    await refused(() => post("/v1/versions", { ...body(v1, signed), version: "1.0.0" }), 400, "invalid_request");
    // No body limit before Lambda's 6 MB: the size check must come before any hashing or parsing.
    const huge = { ...body(v1, signed), template: b64(new Uint8Array(5 * 1024 * 1024).fill(0x41)) };
    const started = performance.now();
    await refused(() => post("/v1/versions", huge), 400, "template_oversize");
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("replay", () => {
  it("re-posting a published release, or its high-S twin, is 409 and changes nothing", async () => {
    const signed = await sign("1.0.0", v1);
    expect((await post("/v1/versions", body(v1, signed))).status).toBe(201);
    await refused(() => post("/v1/versions", body(v1, signed)), 409, "version_not_newer");
    const twin = { ...signed, signature: highSTwin(signed.signature) };
    await refused(() => post("/v1/versions", body(v1, twin)), 409, "version_not_newer");
  });

  it("version N's signed manifest posted as N+1: with N+1's template, or re-signed as the next sequence", async () => {
    const first = await sign("1.0.0", v1);
    expect((await post("/v1/versions", body(v1, first))).status).toBe(201);
    api.store.clock.advance(60_000);
    await refused(() => post("/v1/versions", body(v11, first)), 403, "template_mismatch");
    const resequenced = await resign(first.manifest, { sequence: 2, issuedAt: api.store.now() });
    await refused(() => post("/v1/versions", body(v1, resequenced)), 409, "version_not_newer");
  });

  it("two releases signed for the same next sequence, posted together: one wins, the other is 409", async () => {
    await publish("1.0.0", v1);
    api.store.clock.advance(60_000);
    const v12 = testTemplate("1.2.0");
    const [a, b] = [await sign("1.1.0", v11), await sign("1.2.0", v12)];
    const results = await Promise.all([post("/v1/versions", body(v11, a)), post("/v1/versions", body(v12, b))]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const versions = (await api.deps.service.entities.version.scan.go()).data.map((v) => v.sequence).sort();
    expect(versions).toEqual([1, 2]);
  });

  it("a manifest signed before its key was unpinned is 403 key_not_pinned", async () => {
    await publish("1.0.0", v1);
    api.store.clock.advance(60_000);
    const signedEarlier = await sign("1.1.0", v11);
    releasePins.pinnedKeys = [await pinnedKeyOf(secondReleaseKey)];
    await refused(() => post("/v1/versions", body(v11, signedEarlier)), 403, "key_not_pinned");
  });

  // The executor keeps every listed parameter at its previous value without parsing the template:
  // a name left out would reset the customer's value to the default, a name added is not declared.
  it("a signed list of template parameters that is not the template's is 400 template_parameters_mismatch", async () => {
    const signed = await sign("1.0.0", v1);
    const declared = signed.manifest.templateParameters;
    expect(declared.length).toBeGreaterThan(1);
    for (const templateParameters of [declared.slice(1), [...declared, "Zzz"]]) {
      const lying = await resign(signed.manifest, { templateParameters });
      await refused(() => post("/v1/versions", body(v1, lying)), 400, "template_parameters_mismatch");
    }
  });

  it("a manifest for another product or stack prefix is 403 manifest_unexpected", async () => {
    const signed = await sign("1.0.0", v1);
    for (const change of [{ product: "other-product" }, { stackPrefix: "OtherPrefix" }]) {
      const foreign = await resign(signed.manifest, change);
      await refused(() => post("/v1/versions", body(v1, foreign)), 403, "manifest_unexpected");
    }
  });

  it("approvals: replayed from another version, for a version that needs none, before publication, twice", async () => {
    await publish("1.0.0", v1);
    const approvalOf1 = await approve("1.0.0");
    expect((await post("/v1/versions/1.0.0/approve", approvalOf1)).status).toBe(200);
    api.store.clock.advance(60_000);
    await refused(() => post("/v1/versions/2.0.0/approve", approvalOf1), 404, "version_not_found");
    await publish("2.0.0", v2);
    await refused(() => post("/v1/versions/2.0.0/approve", approvalOf1), 400, "approval_invalid");
    // Approving again, or with the high-S twin of the same approval, is accepted and changes nothing.
    const twin = { ...approvalOf1, signature: b64(highSTwin(Buffer.from(approvalOf1.signature, "base64"))) };
    for (const again of [approvalOf1, twin]) {
      const before = await snapshot();
      expect((await post("/v1/versions/1.0.0/approve", again)).status).toBe(200);
      expect(await snapshot()).toEqual(before);
    }
    api.store.clock.advance(60_000);
    await publish("2.1.0", testTemplate("2.1.0", [{ Effect: "Allow", Action: ["iam:*"], Resource: "*" }]));
    await refused(async () => post("/v1/versions/2.1.0/approve", await approve("2.1.0")), 409, "approval_not_required");
  });
});

describe("key confusion", () => {
  it("the approver key cannot release, and a release key cannot approve", async () => {
    await refused(
      async () => post("/v1/versions", body(v1, await sign("1.0.0", v1, approverKey))),
      403,
      "key_not_pinned",
    );
    await publish("1.0.0", v1);
    for (const key of [releaseKey, secondReleaseKey]) {
      await refused(
        async () => post("/v1/versions/1.0.0/approve", await approve("1.0.0", key)),
        400,
        "approval_invalid",
      );
    }
  });

  it("a pinned keyId with another pinned key's signature, or a keyId other than the manifest's, is 403", async () => {
    const signed = await sign("1.0.0", v1);
    const bySecond = { ...signed, signature: await secondReleaseKey.sign(signed.manifestBytes) };
    await refused(() => post("/v1/versions", body(v1, bySecond, secondReleaseKey.keyId)), 403, "key_mismatch");
    await refused(() => post("/v1/versions", body(v1, bySecond)), 403, "signature_invalid");
  });

  it("keyIds with odd characters are 400 before any key is looked up; a well-formed unknown one is 403", async () => {
    const signed = await sign("1.0.0", v1);
    for (const keyId of ["", " ", `${releaseKey.keyId} `, "ключ", "a\u0000b", "a\nb", "k".repeat(2049)]) {
      const res = await refused(() => post("/v1/versions", body(v1, signed, keyId)), 400, "invalid_request");
      // Not echoed back (the 2,049-character one least of all).
      if (keyId.length > 4) expect(res.error.message).not.toContain(keyId);
    }
    await refused(() => post("/v1/versions", body(v1, signed, "../../etc/passwd")), 403, "key_not_pinned");
  });

  it("template bytes that say the same thing in another encoding (BOM, CRLF) are 403 template_mismatch", async () => {
    const signed = await sign("1.0.0", v1);
    for (const variant of [`\ufeff${v1}`, v1.replace(/\n/g, "\r\n"), `${v1}\n`]) {
      await refused(() => post("/v1/versions", body(variant, signed)), 403, "template_mismatch");
    }
  });

  it("a template over 51,200 bytes and a manifest over 4,096 bytes are 400 before any signature check", async () => {
    const signed = await sign("1.0.0", v1);
    const huge = `${v1}#${"x".repeat(51_200)}\n`;
    await refused(() => post("/v1/versions", body(huge, signed)), 400, "template_oversize");
    const padded = new Uint8Array(4097).fill(0x20);
    await refused(() => post("/v1/versions", body(v1, { ...signed, manifestBytes: padded })), 400, "manifest_oversize");
  });
});

describe("time", () => {
  beforeEach(async () => {
    await publish("1.0.0", v1);
    api.store.clock.advance(60_000);
  });
  const now = () => api.store.now().getTime();
  const attempt = async (times: { issuedAt: number; notBefore: number; expiresAt?: number }) => {
    const genuine = await sign("1.1.0", v11);
    const signed = await resign(genuine.manifest, {
      issuedAt: new Date(times.issuedAt),
      notBefore: new Date(times.notBefore),
      expiresAt: new Date(times.expiresAt ?? times.notBefore + 90 * 24 * HOUR),
    });
    return () => post("/v1/versions", body(v11, signed));
  };

  it("grace exactly 24 h is accepted; 1 ms less is grace_too_short", async () => {
    await refused(await attempt({ issuedAt: now(), notBefore: now() + 24 * HOUR - 1 }), 400, "grace_too_short");
    expect((await (await attempt({ issuedAt: now(), notBefore: now() + 24 * HOUR }))()).status).toBe(201);
  });

  it("a backdated issuedAt cannot shorten the grace customers see after publication (beyond the 5 min skew)", async () => {
    // Signed "59 minutes ago" with exactly 24 h from then: only 23 h 1 min would remain.
    await refused(
      await attempt({ issuedAt: now() - 59 * 60_000, notBefore: now() - 59 * 60_000 + 24 * HOUR }),
      400,
      "grace_too_short",
    );
    const withinSkew = await attempt({ issuedAt: now() - 5 * 60_000, notBefore: now() - 5 * 60_000 + 24 * HOUR });
    expect((await withinSkew()).status).toBe(201);
  });

  it("notBefore in the past is grace_too_short", async () => {
    await refused(await attempt({ issuedAt: now() - 30 * 60_000, notBefore: now() - 1 }), 400, "grace_too_short");
  });

  it("expiresAt beyond the lifetime by 1 ms is manifest_lifetime; exactly the lifetime is accepted", async () => {
    const notBefore = now() + 24 * HOUR;
    const lifetime = 90 * 24 * HOUR;
    await refused(
      await attempt({ issuedAt: now(), notBefore, expiresAt: notBefore + lifetime + 1 }),
      400,
      "manifest_lifetime",
    );
    expect((await (await attempt({ issuedAt: now(), notBefore, expiresAt: notBefore + lifetime }))()).status).toBe(201);
  });

  it("issuedAt in the future: 5 min of clock skew is tolerated, 5 min + 1 ms is manifest_issued_in_future", async () => {
    const ahead = (ms: number) => attempt({ issuedAt: now() + ms, notBefore: now() + ms + 24 * HOUR });
    await refused(await ahead(5 * 60_000 + 1), 400, "manifest_issued_in_future");
    expect((await (await ahead(5 * 60_000))()).status).toBe(201);
  });

  it("issued more than an hour ago is manifest_stale", async () => {
    const old = now() - HOUR - 1;
    await refused(await attempt({ issuedAt: old, notBefore: now() + 24 * HOUR }), 400, "manifest_stale");
  });
});
