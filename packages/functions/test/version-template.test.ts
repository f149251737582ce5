import { createHash, createPublicKey, verify } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { createTestApi, type TestApi, testTemplate } from "./support/api";

const v1 = testTemplate("1.0.0");
const v2 = testTemplate("1.1.0", [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: "*" }]);

let api: TestApi;
let operator: Record<string, string>;
let tenant: Record<string, string>;
beforeEach(async () => {
  api = await createTestApi();
  operator = await api.headersFor({ role: "operator", subject: "ops@acme" });
  tenant = await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" });
});

const read = async (res: Response) => (await res.json()) as any;
const post = (path: string, headers: Record<string, string>, body: unknown) =>
  api.app.request(path, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const get = (path: string, headers: Record<string, string>) => api.app.request(path, { headers });

describe("GET /v1/versions/{version}/template", () => {
  it("returns the verified bytes, their sha256 and a manifest signature anyone can check", async () => {
    expect((await post("/v1/versions", operator, { version: "1.0.0", template: v1 })).status).toBe(201);
    const res = await get("/v1/versions/1.0.0/template", tenant);
    expect(res.status).toBe(200);
    const body = await read(res);
    expect(body.template).toBe(v1);
    const digest = createHash("sha256").update(body.template).digest("hex");
    expect(body.sha256).toBe(digest);
    expect(body.manifest).toMatchObject({
      version: "1.0.0",
      template: { sha256: digest, size: Buffer.byteLength(v1) },
    });
    const signedBytes = Buffer.from(body.signed.manifest, "base64");
    const key = createPublicKey(body.publicKeyPem);
    expect(
      verify("sha256", signedBytes, { key, dsaEncoding: "der" }, Buffer.from(body.signed.signature, "base64")),
    ).toBe(true);
    expect(JSON.parse(signedBytes.toString("utf8"))).toEqual(body.manifest);

    const raw = await get("/v1/versions/1.0.0/template?format=raw", tenant);
    expect(raw.headers.get("x-template-sha256")).toBe(digest);
    expect(Buffer.from(await raw.arrayBuffer()).toString("utf8")).toBe(v1);
  });

  it("refuses tampered stored bytes with 409 and quarantines the version for everyone", async () => {
    await post("/v1/versions", operator, { version: "1.0.0", template: v1 });
    const store = api.deps.publishing.release.store;
    // Play a tampered bucket: the stored object now holds other bytes than the signed ones.
    (store as unknown as { get(sha: string): Promise<Uint8Array> }).get = async () =>
      new TextEncoder().encode(v1.replace("SecurityAudit", "AdministratorAccess"));
    const res = await get("/v1/versions/1.0.0/template", tenant);
    expect(res.status).toBe(409);
    expect((await read(res)).error.code).toBe("version_quarantined");
    const version = await read(await get("/v1/versions/1.0.0", tenant));
    expect(version.state).toBe("halted");
    expect(version.stateReason).toMatch(/^quarantined: template_mismatch/);
    const audit = await read(await get("/v1/fleet/audit", operator));
    expect(audit.items.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(["version.quarantined", "operator.alert", "version.published"]),
    );
    // A quarantined version stays halted: resuming it is refused.
    expect((await post("/v1/versions/1.0.0/resume", operator, {})).status).toBe(409);
  });

  it("404 for an unknown version, 400 for a malformed one, 401 without a token", async () => {
    expect((await get("/v1/versions/9.9.9/template", tenant)).status).toBe(404);
    expect((await get("/v1/versions/latest/template", tenant)).status).toBe(400);
    expect((await api.app.request("/v1/versions/1.0.0/template")).status).toBe(401);
  });
});

describe("publishing checks the template's own version marker", () => {
  it("refuses a template that still says 1.0.0 as 1.1.0 with 400 version_marker_mismatch, nothing recorded", async () => {
    await post("/v1/versions", operator, { version: "1.0.0", template: v1 });
    const res = await post("/v1/versions", operator, { version: "1.1.0", template: v1 });
    expect(res.status).toBe(400);
    expect((await read(res)).error.code).toBe("version_marker_mismatch");
    expect((await get("/v1/versions/1.1.0", tenant)).status).toBe(404);
    expect((await post("/v1/versions", operator, { version: "1.1.0", template: v2 })).status).toBe(201);
  });
});
