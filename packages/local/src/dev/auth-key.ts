import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, stat, unlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { principalFromClaims, ROLE_CLAIM, type Role, TENANT_CLAIM } from "@stackfleet/core/auth/principal";
import { createJwtVerifier, type JwtVerifier } from "@stackfleet/core/auth/verifier";
import { forbidden, inputError } from "@stackfleet/core/error";
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from "jose";

/** Who signs and who accepts tokens locally; never configured in AWS, where the vendor's IdP issues tokens. */
export const LOCAL_ISSUER = "stackfleet-local";
export const LOCAL_AUDIENCE = "stackfleet-api";

/** In the local data dir (`.stackfleet/data`, git-ignored), next to DynamoDB Local's files. */
export const DEV_AUTH_KEY_FILE = "auth-key.json";

const ALG = "ES256";
const MAX_TTL_SECONDS = 30 * 24 * 3600;

export interface DevAuthKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public half, as the key set a verifier trusts. */
  jwks: JSONWebKeySet;
}

/**
 * Loads the local token-signing key (an ES256 private JWK), creating it on first use. The CLI and
 * the local runtime share it, so `stackfleet token` works whether or not `npm start` runs. Same
 * rules as the local manifest-signing key: 0600, refused when others can read it, created by
 * hard-linking a finished temp file so two processes starting together agree on one key.
 */
export async function loadOrCreateDevAuthKey(dataDir: string): Promise<DevAuthKey> {
  const path = join(dataDir, DEV_AUTH_KEY_FILE);
  try {
    return await readDevAuthKey(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const stored = await newPrivateJwk();
  const temp = join(dirname(path), `.auth-key-${randomUUID()}.tmp`);
  await writeFile(temp, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    await unlink(temp);
  }
  return await readDevAuthKey(path);
}

async function readDevAuthKey(path: string): Promise<DevAuthKey> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0)
    throw forbidden("local_key_permissions", `Token key ${path} is readable by others; chmod 600 it`);
  try {
    return await fromPrivateJwk(JSON.parse(await readFile(path, "utf8")) as JWK);
  } catch (e) {
    throw inputError("local_key_invalid", `Token key ${path} is unusable: ${(e as Error).message}`);
  }
}

/** A throwaway key held only in memory (tests). */
export const generateDevAuthKey = async (): Promise<DevAuthKey> => fromPrivateJwk(await newPrivateJwk());

async function newPrivateJwk(): Promise<JWK> {
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: ALG, use: "sig" };
}

async function fromPrivateJwk(jwk: JWK): Promise<DevAuthKey> {
  if (jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d || !jwk.kid)
    throw new Error("not a P-256 private JWK with a kid");
  const privateKey = (await importJWK(jwk, ALG)) as CryptoKey;
  const { d: _private, ...publicJwk } = jwk;
  return { kid: jwk.kid, privateKey, jwks: { keys: [publicJwk] } };
}

export interface DevTokenRequest {
  key: DevAuthKey;
  role: Role;
  tenantId?: string;
  /** Defaults to `dev-<role>`. */
  subject?: string;
  /** Seconds, or `30s` / `15m` / `1h` / `7d`. */
  ttl: number | string;
  now?: () => Date;
}

/** A token the local API accepts: the same claims an IdP would issue, signed by the dev key. */
export async function issueDevToken(request: DevTokenRequest): Promise<string> {
  const claims = {
    sub: request.subject ?? `dev-${request.role}`,
    [ROLE_CLAIM]: request.role,
    ...(request.tenantId === undefined ? {} : { [TENANT_CLAIM]: request.tenantId }),
  };
  try {
    // Refuse to mint a token the verifier would reject (a tenant-admin with no tenant, …).
    principalFromClaims(claims);
  } catch (e) {
    throw inputError("token_request_invalid", (e as Error).message.replace(/^Token claims are invalid: /, ""));
  }
  const issuedAt = Math.floor((request.now?.() ?? new Date()).getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, kid: request.key.kid, typ: "JWT" })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + parseTtl(request.ttl))
    .sign(request.key.privateKey);
}

/** The verifier the local runtime (and tests) use: trusts only the dev key, local issuer and audience. */
export const createDevVerifier = (key: DevAuthKey, now?: () => Date): JwtVerifier =>
  createJwtVerifier({ issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, jwks: key.jwks, ...(now ? { now } : {}) });

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

export function parseTtl(ttl: number | string): number {
  const match = typeof ttl === "number" ? null : /^(\d+)([smhd])$/.exec(ttl.trim());
  const seconds =
    typeof ttl === "number"
      ? ttl
      : match
        ? Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS]
        : Number.NaN;
  if (!Number.isInteger(seconds) || seconds <= 0 || seconds > MAX_TTL_SECONDS) {
    throw inputError("ttl_invalid", `ttl must be a positive duration up to 30d, like 15m or 1h (got ${ttl})`);
  }
  return seconds;
}
