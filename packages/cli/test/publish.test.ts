import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApi } from "../../functions/test/support/api";
import { main } from "../src/main";

const servers: ServerType[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

async function apiServer() {
  const api = await createTestApi();
  const url = await new Promise<string>((done) =>
    servers.push(
      serve({ fetch: api.app.fetch, port: 0, hostname: "127.0.0.1" }, (info) => done(`http://127.0.0.1:${info.port}`)),
    ),
  );
  return { api, url };
}
const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
};
const templateFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), "publish-")), "template.yaml");
  writeFileSync(file, text);
  return file;
};

describe("stackfleet publish", () => {
  it("publishes a template file through the API as an operator", async () => {
    const { api, url } = await apiServer();
    const token = (await api.headersFor({ role: "operator", subject: "ops" })).authorization!.slice(7);
    const { io, out } = capture();
    const code = await main(
      [
        "publish",
        templateFile("Resources:\n  Topic: {Type: AWS::SNS::Topic}\n"),
        "--version",
        "1.0.0",
        "--api",
        url,
        "--token",
        token,
      ],
      io,
    );
    expect(code).toBe(0);
    expect(out.join("\n")).toMatch(/Published 1\.0\.0/);
    expect(
      (await api.app.request("/v1/versions/1.0.0", { headers: await api.headersFor({ role: "operator" }) })).status,
    ).toBe(200);
  });

  it("reports the API's refusal and exits 1", async () => {
    const { api, url } = await apiServer();
    const token = (await api.headersFor({ role: "tenant-admin", tenantId: "ten_a" })).authorization!.slice(7);
    const { io, err } = capture();
    expect(
      await main(
        [
          "publish",
          templateFile("Resources:\n  T: {Type: AWS::SNS::Topic}\n"),
          "--version",
          "1.0.0",
          "--api",
          url,
          "--token",
          token,
        ],
        io,
      ),
    ).toBe(1);
    expect(err.join("\n")).toMatch(/403 operator_required/);
  });

  it("exits 2 on usage errors", async () => {
    const { io } = capture();
    expect(await main(["publish", "--version", "1.0.0"], io)).toBe(2);
  });
});
