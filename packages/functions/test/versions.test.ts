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
const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  api.app.request(
    path,
    body === undefined
      ? { method, headers }
      : { method, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) },
  );
const publish = (version: string, template: string, headers = operator) =>
  call("POST", "/v1/versions", headers, { version, template });

describe("versions API", () => {
  // The first version broadens against nothing, so it gets the broadening grace too.
  it("publishes a signed version with its grace end and changelog; the manifest names the exact bytes", async () => {
    const res = await publish("1.0.0", v1);
    expect(res.status).toBe(201);
    const body = await read(res);
    expect(body).toMatchObject({
      version: "1.0.0",
      sequence: 1,
      state: "published",
      permissionsBroadened: true,
      graceEndsAt: "2026-11-24T12:00:00.000Z",
    });
    expect(body.manifest).toMatchObject({
      version: "1.0.0",
      sequence: 1,
      stackPrefix: "Acme",
      template: { size: Buffer.byteLength(v1) },
      capabilities: ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    });
    expect(body.template.sha256).toBe(body.manifest.template.sha256);
    expect(body.changelog.resources.added.length).toBeGreaterThan(0);
  });

  it("gives a permission-broadening version the longer grace and shows what broadened, against any earlier version", async () => {
    await publish("1.0.0", v1);
    api.store.clock.advance(3_600_000);
    const body = await read(await publish("1.1.0", v2));
    expect(body).toMatchObject({ permissionsBroadened: true, graceEndsAt: "2026-11-24T13:00:00.000Z" });
    expect(body.changelog.permissions.added).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ action: "s3:GetObject", principal: "IntegrationRole", broadening: true }),
      ]),
    );
    const md = await api.app.request("/v1/versions/1.1.0/changelog?from=1.0.0&format=markdown", { headers: tenant });
    expect(md.headers.get("content-type")).toContain("text/markdown");
    expect(await md.text()).toMatch(/s3:GetObject/i);
    const list = await read(await call("GET", "/v1/versions", tenant));
    expect(list.items.map((v: { version: string }) => v.version)).toEqual(["1.1.0", "1.0.0"]);
  });

  it("refuses bad publications with 4xx and records nothing", async () => {
    await publish("1.0.0", v1);
    const cases: Array<[string, string, number, string]> = [
      ["1.0.0", v1, 409, "version_not_newer"],
      ["0.9.0", v1, 409, "version_not_newer"],
      ["not-semver", v1, 400, "version_invalid"],
      ["2.0.0", "Resources: [", 400, "template_invalid"],
      [
        "2.0.0",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  F: {Type: AWS::Serverless::Function}\n",
        400,
        "template_transform",
      ],
      [
        "2.0.0",
        "Resources:\n  N:\n    Type: AWS::CloudFormation::Stack\n    Properties: {TemplateURL: https://example.com/t.yaml}\n",
        400,
        "template_nested_stack",
      ],
      [
        "2.0.0",
        `Resources:\n  R: {Type: AWS::SNS::Topic}\nDescription: "${"x".repeat(52_000)}"\n`,
        400,
        "template_oversize",
      ],
    ];
    for (const [version, template, status, code] of cases) {
      const res = await publish(version, template);
      expect(res.status, code).toBe(status);
      expect(await read(res)).toMatchObject({ error: { code } });
    }
    expect((await read(await call("GET", "/v1/versions", tenant))).items).toHaveLength(1);
  });

  it("lets only operators publish, halt and resume", async () => {
    expect((await publish("1.0.0", v1, tenant)).status).toBe(403);
    await publish("1.0.0", v1);
    expect((await call("POST", "/v1/versions/1.0.0/halt", tenant)).status).toBe(403);
    expect((await call("POST", "/v1/controls/halt", tenant)).status).toBe(403);
    const halted = await read(await call("POST", "/v1/versions/1.0.0/halt", operator, { reason: "bad canary" }));
    expect(halted).toMatchObject({ state: "halted", stateReason: "bad canary" });
    expect(await read(await call("POST", "/v1/versions/1.0.0/resume", operator))).toMatchObject({ state: "published" });
  });

  it("flips the global kill switch and audits it", async () => {
    expect(await read(await call("POST", "/v1/controls/halt", operator, { reason: "incident 42" }))).toMatchObject({
      halted: true,
      reason: "incident 42",
      changedBy: "operator:ops@acme",
    });
    expect(await read(await call("GET", "/v1/controls", operator))).toMatchObject({ halted: true });
    expect(await read(await call("POST", "/v1/controls/resume", operator))).toMatchObject({ halted: false });
  });

  it("404s an unknown version", async () => {
    const res = await call("GET", "/v1/versions/9.9.9", tenant);
    expect(res.status).toBe(404);
    expect(await read(res)).toMatchObject({ error: { code: "version_not_found" } });
  });
});
