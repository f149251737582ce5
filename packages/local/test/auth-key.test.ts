import { chmod, mkdtemp, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  createDevVerifier,
  DEV_AUTH_KEY_FILE,
  issueDevToken,
  loadOrCreateDevAuthKey,
  parseTtl,
} from "../src/dev/auth-key";

const dataDir = () => mkdtemp(join(tmpdir(), "stackfleet-auth-"));

describe("loadOrCreateDevAuthKey", () => {
  it("creates an owner-only private JWK in the data dir and loads the same key afterwards", async () => {
    const dir = await dataDir();
    const created = await loadOrCreateDevAuthKey(dir);
    const file = join(dir, DEV_AUTH_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, "utf8"))).toMatchObject({
      kty: "EC",
      crv: "P-256",
      alg: "ES256",
      kid: created.kid,
    });

    const loaded = await loadOrCreateDevAuthKey(dir);
    const token = await issueDevToken({ key: created, role: "operator", ttl: "5m" });
    expect(loaded.kid).toBe(created.kid);
    await expect(createDevVerifier(loaded).verify(token)).resolves.toMatchObject({ role: "operator" });
  });

  it("never publishes the private part in the key set", async () => {
    const key = await loadOrCreateDevAuthKey(await dataDir());
    expect(key.jwks.keys).toHaveLength(1);
    expect(key.jwks.keys[0]).not.toHaveProperty("d");
  });

  it("agrees on one key when several processes create it at once", async () => {
    const dir = await dataDir();
    const keys = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateDevAuthKey(dir)));
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
  });

  it("refuses a key file others can read", async () => {
    const dir = await dataDir();
    await loadOrCreateDevAuthKey(dir);
    await chmod(join(dir, DEV_AUTH_KEY_FILE), 0o644);
    await expect(loadOrCreateDevAuthKey(dir)).rejects.toMatchObject({ code: "local_key_permissions" });
  });
});

describe("issueDevToken", () => {
  it("refuses to mint a tenant-admin token without a tenant", async () => {
    const key = await loadOrCreateDevAuthKey(await dataDir());
    await expect(issueDevToken({ key, role: "tenant-admin", ttl: "1h" })).rejects.toMatchObject({
      kind: "input",
      code: "token_request_invalid",
    });
  });

  it("expires after the ttl", async () => {
    const key = await loadOrCreateDevAuthKey(await dataDir());
    const t0 = new Date("2026-11-21T12:00:00Z");
    const token = await issueDevToken({ key, role: "operator", ttl: "15m", now: () => t0 });
    const later = (minutes: number) => () => new Date(t0.getTime() + minutes * 60_000);
    await expect(createDevVerifier(key, later(14)).verify(token)).resolves.toMatchObject({ role: "operator" });
    await expect(createDevVerifier(key, later(16)).verify(token)).rejects.toMatchObject({ code: "token_expired" });
  });
});

describe("parseTtl", () => {
  it("reads seconds and s/m/h/d durations", () => {
    expect([parseTtl(90), parseTtl("30s"), parseTtl("15m"), parseTtl("1h"), parseTtl("7d")]).toEqual([
      90, 30, 900, 3600, 604_800,
    ]);
  });

  it.each(["0s", "-1h", "1w", "1.5h", "31d", "soon"])("refuses %s", (ttl) => {
    expect(() => parseTtl(ttl)).toThrow(expect.objectContaining({ code: "ttl_invalid" }));
  });
});
