import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import type { Log } from "@stackfleet/core/log";
import { issueDevToken, loadOrCreateDevAuthKey } from "@stackfleet/local/dev/auth-key";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDemo } from "../../scripts/demo/story";
import { connect, type DemoTarget } from "../../scripts/demo/target";

/**
 * Issue 15's acceptance: `npm run demo` end to end. No `npm start` is running for this state file,
 * so the demo's own private instance is used (DynamoDB Local, the sandbox, the API, the executor,
 * a manual clock); the test keeps it running to read the final state through the API itself.
 */
const dir = mkdtempSync(join(tmpdir(), "stackfleet-demo-test-"));
const errors: string[] = [];
const log: Log = {
  info() {},
  warn() {},
  appendKeys() {},
  error: (message, fields) => void errors.push(`${message} ${JSON.stringify(fields)}`),
};
let target: DemoTarget;
beforeAll(async () => {
  target = await connect({ stateFile: join(dir, "no-npm-start.json"), log });
}, 120_000);
afterAll(async () => {
  await target?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("npm run demo", () => {
  it("tells the whole story and leaves each customer and version where the story says", async () => {
    const output: string[] = [];
    const io = { out: (t: string) => void output.push(t), err: (t: string) => void output.push(t) };
    const result = await runDemo({ io, log, target });
    const text = output.join("\n");

    expect(target.origin).toContain("private instance");
    expect(text).toContain("Permissions added");
    expect(text).toContain("IntegrationRole: Allow s3:GetBucketPolicyStatus");
    expect(text).toMatch(/Contoso: run succeeded.*, \d+ s \(real time\) after the demo started/);
    expect(text).toMatch(/stack events of the update:[\s\S]*UPDATE_COMPLETE/);
    expect(text).toMatch(/CUSTOMER\s+TENANT\s+ACCOUNT\s+VERSION/);

    // Read back through the API, as an operator of the instance the demo used.
    const key = await loadOrCreateDevAuthKey(target.dataDir);
    const token = await issueDevToken({ key, role: "operator", ttl: 600 });
    const get = async (path: string) => {
      const response = await fetch(`${target.state.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status, path).toBe(200);
      return (await response.json()) as Record<string, any>;
    };
    const [skipper, optOut, updated] = result.customers;
    const integration = (c: typeof skipper) => get(`/v1/integrations/${c!.id}?tenantId=${c!.tenant}`);

    expect(await integration(skipper)).toMatchObject({ currentVersion: "1.0.0", skippedVersions: ["1.1.0"] });
    expect(await integration(optOut)).toMatchObject({ currentVersion: "1.0.0", autoUpdate: false });
    expect(await integration(updated)).toMatchObject({ currentVersion: "1.1.0", autoUpdate: true });
    expect(new Set(result.customers.map((c) => c.tenant)).size).toBe(2);

    expect(await get("/v1/versions/1.1.0")).toMatchObject({ state: "published" });
    const tampered = await get("/v1/versions/1.2.0");
    expect(tampered.state).toBe("halted");
    expect(tampered.stateReason).toMatch(/^quarantined: /);
    const halted = await get("/v1/versions/1.3.0");
    expect(halted.state).toBe("halted");
    expect(halted.stateReason ?? "").not.toMatch(/quarantined/);

    // The customer's own stack runs 1.1.0: the update really happened in the (sandbox) account.
    const account = target.state.sandbox!.accounts.find((a) => a.accountId === updated!.accountId)!;
    const cloudformation = new CloudFormationClient({
      endpoint: target.state.sandbox!.endpoint,
      region: updated!.region,
      credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
    });
    const { Stacks } = await cloudformation.send(new DescribeStacksCommand({ StackName: "Acme-integration" }));
    expect(Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === "TemplateVersion")?.OutputValue).toBe("1.1.0");

    expect(errors).toEqual([]);
  }, 300_000);
});
