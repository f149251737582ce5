import type { JwtVerifier } from "@stackfleet/core/auth";
import { createDevVerifier, generateDevAuthKey, issueDevToken } from "@stackfleet/local/dev/auth-key";
import { beforeEach, describe, expect, it } from "vitest";
import { rememberVerifiedTokens } from "../src/api/verified-tokens";

let at: Date;
const now = () => new Date(at);
let checks: string[];
let key: Awaited<ReturnType<typeof generateDevAuthKey>>;
let remembering: JwtVerifier;

beforeEach(async () => {
  at = new Date("2026-11-21T12:00:00.000Z");
  checks = [];
  key = await generateDevAuthKey();
  const real = createDevVerifier(key, now);
  remembering = rememberVerifiedTokens(
    {
      verify: (token) => {
        checks.push(token);
        return real.verify(token);
      },
    },
    now,
  );
});

const token = (ttl: string, tenantId = "ten_a") => issueDevToken({ key, ttl, role: "tenant-admin", tenantId, now });

describe("remembered token verification", () => {
  it("checks a token's signature once, then answers from memory with the same principal", async () => {
    const t = await token("1h");
    const first = await remembering.verify(t);
    expect(await remembering.verify(t)).toEqual(first);
    expect(first).toMatchObject({ role: "tenant-admin", tenantId: "ten_a" });
    expect(checks).toHaveLength(1);
    await remembering.verify(await token("1h", "ten_b"));
    expect(checks).toHaveLength(2);
  });

  it("checks again after a minute, and refuses the token once it has expired", async () => {
    const t = await token("90s");
    await remembering.verify(t);
    at = new Date(at.getTime() + 61_000);
    await remembering.verify(t);
    expect(checks).toHaveLength(2);
    at = new Date(at.getTime() + 60_000);
    await expect(remembering.verify(t)).rejects.toMatchObject({ code: "token_expired" });
  });

  it("never remembers a refusal, nor a token changed by one byte", async () => {
    const t = await token("1h");
    await remembering.verify(t);
    const tampered = `${t.slice(0, -2)}${t.endsWith("A") ? "B" : "A"}${t.slice(-1)}`;
    await expect(remembering.verify(tampered)).rejects.toMatchObject({ code: "token_invalid" });
    await expect(remembering.verify(tampered)).rejects.toMatchObject({ code: "token_invalid" });
    expect(checks).toEqual([t, tampered, tampered]);
  });
});
