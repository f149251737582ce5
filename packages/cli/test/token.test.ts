import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDevVerifier, loadOrCreateDevAuthKey } from "@stackfleet/local/dev/auth-key";
import { describe, expect, it } from "vitest";
import { main } from "../src/main";

function captureIo() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => void out.push(t), err: (t: string) => void err.push(t) }, out, err };
}

const dataDir = () => mkdtemp(join(tmpdir(), "stackfleet-cli-token-"));

describe("stackfleet token", () => {
  it("prints only a token that the local runtime's verifier accepts", async () => {
    const dir = await dataDir();
    const { io, out } = captureIo();
    const code = await main(
      ["token", "--tenant", "ten_A", "--role", "tenant-admin", "--subject", "alice", "--data-dir", dir],
      io,
    );
    expect(code).toBe(0);
    expect(out).toHaveLength(1);
    // The runtime loads the same key file from the same data dir.
    const verifier = createDevVerifier(await loadOrCreateDevAuthKey(dir));
    expect(await verifier.verify(out[0]!)).toEqual({ subject: "alice", role: "tenant-admin", tenantId: "ten_A" });
  });

  it("signs with a key that already exists rather than replacing it", async () => {
    const dir = await dataDir();
    const existing = await loadOrCreateDevAuthKey(dir);
    const { io, out } = captureIo();
    expect(await main(["token", "--role", "operator", "--data-dir", dir], io)).toBe(0);
    expect(await createDevVerifier(existing).verify(out[0]!)).toMatchObject({ role: "operator" });
  });

  it("honours --ttl", async () => {
    const dir = await dataDir();
    const { io, out } = captureIo();
    expect(await main(["token", "--role", "operator", "--ttl", "10m", "--data-dir", dir], io)).toBe(0);
    const elevenMinutesOn = () => new Date(Date.now() + 11 * 60_000);
    await expect(
      createDevVerifier(await loadOrCreateDevAuthKey(dir), elevenMinutesOn).verify(out[0]!),
    ).rejects.toMatchObject({
      code: "token_expired",
    });
  });

  it.each([
    ["no role", ["--tenant", "ten_A"], /--role/],
    ["an unknown role", ["--role", "admin"], /--role/],
    ["a tenant-admin without a tenant", ["--role", "tenant-admin"], /--tenant/],
    ["a bad ttl", ["--role", "operator", "--ttl", "forever"], /ttl/],
    ["a bad tenant id", ["--role", "tenant-admin", "--tenant", "ten A!"], /tenant id/],
  ])("refuses %s with usage and exit code 2", async (_name, args, message) => {
    const { io, out, err } = captureIo();
    expect(await main(["token", ...args, "--data-dir", await dataDir()], io)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join("\n")).toMatch(message);
  });
});
