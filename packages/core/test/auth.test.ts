import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createDevVerifier,
  type DevAuthKey,
  generateDevAuthKey,
  issueDevToken,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
} from "@stackfleet/local/dev/auth-key";
import { base64url, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { afterEach, describe, expect, it } from "vitest";
import { createJwtVerifier } from "../src/auth/index";

const T0 = new Date("2026-11-21T12:00:00.000Z");
const at = (ms: number) => () => new Date(T0.getTime() + ms);

/** A token signed by `key` with arbitrary claims and header, for the cases issueDevToken refuses to make. */
async function craft(key: DevAuthKey, claims: JWTPayload, options: { iss?: string; aud?: string; kid?: string } = {}) {
  const iat = Math.floor(T0.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid: options.kid ?? key.kid })
    .setIssuer(options.iss ?? LOCAL_ISSUER)
    .setAudience(options.aud ?? LOCAL_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + 3600)
    .sign(key.privateKey);
}

const tenantToken = (key: DevAuthKey) =>
  issueDevToken({ key, role: "tenant-admin", tenantId: "ten_A", subject: "alice", ttl: "1h", now: at(0) });

describe("createJwtVerifier", () => {
  it("turns a valid tenant-admin token into its principal", async () => {
    const key = await generateDevAuthKey();
    const principal = await createDevVerifier(key, at(60_000)).verify(await tenantToken(key));
    expect(principal).toEqual({ subject: "alice", role: "tenant-admin", tenantId: "ten_A" });
  });

  it("accepts an operator token without a tenant", async () => {
    const key = await generateDevAuthKey();
    const token = await issueDevToken({ key, role: "operator", subject: "ops", ttl: 60, now: at(0) });
    expect(await createDevVerifier(key, at(0)).verify(token)).toEqual({ subject: "ops", role: "operator" });
  });

  it("rejects an expired token as token_expired, allowing only a small clock skew", async () => {
    const key = await generateDevAuthKey();
    const token = await tenantToken(key);
    await expect(createDevVerifier(key, at(3600_000 + 20_000)).verify(token)).resolves.toMatchObject({
      tenantId: "ten_A",
    });
    await expect(createDevVerifier(key, at(3600_000 + 31_000)).verify(token)).rejects.toMatchObject({
      kind: "auth",
      code: "token_expired",
    });
  });

  it("rejects a token from another issuer", async () => {
    const key = await generateDevAuthKey();
    const token = await craft(key, { sub: "x", role: "operator" }, { iss: "https://evil.example" });
    await expect(createDevVerifier(key, at(0)).verify(token)).rejects.toMatchObject({
      kind: "auth",
      code: "token_invalid",
    });
  });

  it("rejects a token for another audience", async () => {
    const key = await generateDevAuthKey();
    const token = await craft(key, { sub: "x", role: "operator" }, { aud: "some-other-api" });
    await expect(createDevVerifier(key, at(0)).verify(token)).rejects.toMatchObject({
      kind: "auth",
      code: "token_invalid",
    });
  });

  it("rejects a token signed by a key it does not trust, even under a trusted kid", async () => {
    const trusted = await generateDevAuthKey();
    const other = await generateDevAuthKey();
    const verifier = createDevVerifier(trusted, at(0));
    await expect(verifier.verify(await craft(other, { sub: "x", role: "operator" }))).rejects.toMatchObject({
      code: "token_invalid",
    });
    await expect(
      verifier.verify(await craft(other, { sub: "x", role: "operator" }, { kid: trusted.kid })),
    ).rejects.toMatchObject({
      code: "token_invalid",
    });
  });

  it("rejects an unsigned (alg none) token", async () => {
    const key = await generateDevAuthKey();
    const [, payload] = (await tenantToken(key)).split(".");
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    await expect(createDevVerifier(key, at(0)).verify(`${header}.${payload}.`)).rejects.toMatchObject({
      code: "token_invalid",
    });
  });

  it("rejects HS256, even keyed with the trusted public key's bytes", async () => {
    const key = await generateDevAuthKey();
    const publicJwk = key.jwks.keys[0];
    const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
    const token = await new SignJWT({ sub: "x", role: "operator" })
      .setProtectedHeader({ alg: "HS256", kid: key.kid })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setExpirationTime(Math.floor(T0.getTime() / 1000) + 60)
      .sign(secret);
    await expect(createDevVerifier(key, at(0)).verify(token)).rejects.toMatchObject({ code: "token_invalid" });
  });

  it("accepts only ES256 and RS256, even when the key set holds a key for another algorithm", async () => {
    const { privateKey, publicKey } = await generateKeyPair("ES384");
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "p384", alg: "ES384" }] };
    const token = await new SignJWT({ sub: "x", role: "operator" })
      .setProtectedHeader({ alg: "ES384", kid: "p384" })
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setExpirationTime(Math.floor(T0.getTime() / 1000) + 60)
      .sign(privateKey);
    const verifier = createJwtVerifier({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks, now: at(0) });
    await expect(verifier.verify(token)).rejects.toMatchObject({
      code: "token_invalid",
      message: expect.stringContaining("alg"),
    });
  });

  it("rejects a tenant-admin token that names no tenant", async () => {
    const key = await generateDevAuthKey();
    const token = await craft(key, { sub: "x", role: "tenant-admin" });
    await expect(createDevVerifier(key, at(0)).verify(token)).rejects.toMatchObject({
      code: "token_invalid",
      message: expect.stringContaining("tenant_id"),
    });
  });

  it("rejects an unknown role", async () => {
    const key = await generateDevAuthKey();
    const token = await craft(key, { sub: "x", role: "admin", tenant_id: "ten_A" });
    await expect(createDevVerifier(key, at(0)).verify(token)).rejects.toMatchObject({ code: "token_invalid" });
  });

  it("rejects a token whose payload was changed after signing", async () => {
    const key = await generateDevAuthKey();
    const [header, payload, signature] = (await tenantToken(key)).split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload!)));
    const tampered = base64url.encode(JSON.stringify({ ...claims, tenant_id: "ten_B" }));
    await expect(createDevVerifier(key, at(0)).verify(`${header}.${tampered}.${signature}`)).rejects.toMatchObject({
      code: "token_invalid",
    });
  });

  it("calls an empty token token_missing", async () => {
    const key = await generateDevAuthKey();
    await expect(createDevVerifier(key, at(0)).verify("")).rejects.toMatchObject({
      kind: "auth",
      code: "token_missing",
    });
  });
});

describe("createJwtVerifier with a remote JWKS", () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

  async function serveJwks(body: unknown): Promise<URL> {
    server = createServer((_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)),
    );
    await new Promise<void>((done) => server!.listen(0, "127.0.0.1", done));
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`);
  }

  it("verifies RS256 tokens against keys fetched from the issuer", async () => {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const jwks = await serveJwks({ keys: [{ ...(await exportJWK(publicKey)), kid: "rsa-1", alg: "RS256" }] });
    const token = await new SignJWT({ sub: "idp|42", role: "tenant-admin", tenant_id: "ten_A" })
      .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
      .setIssuer("https://idp.example/")
      .setAudience("stackfleet")
      .setExpirationTime("5m")
      .sign(privateKey);
    const verifier = createJwtVerifier({ issuer: "https://idp.example/", audience: "stackfleet", jwks });
    expect(await verifier.verify(token)).toEqual({ subject: "idp|42", role: "tenant-admin", tenantId: "ten_A" });
  });

  it("is unavailable (not the caller's fault) when the JWKS cannot be fetched", async () => {
    const key = await generateDevAuthKey();
    // A port that was just free: nothing answers there.
    const jwks = await serveJwks({ keys: [] });
    await new Promise<void>((done) => server!.close(() => done()));
    server = undefined;
    const verifier = createJwtVerifier({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks });
    await expect(verifier.verify(await issueDevToken({ key, role: "operator", ttl: "5m" }))).rejects.toMatchObject({
      kind: "unavailable",
      code: "jwks_unavailable",
    });
  });
});
