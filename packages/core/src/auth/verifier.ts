import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { StackfleetError, unauthenticated } from "../error";
import { type Principal, principalFromClaims } from "./principal";

/** Asymmetric only: a shared-secret (HS*) or unsigned (`none`) token is never accepted. */
export const ACCEPTED_ALGORITHMS = ["ES256", "RS256"] as const;

/** Seconds of clock skew allowed between the issuer and us on `exp`/`nbf`/`iat`. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  /** The issuer's JWKS endpoint (fetched and cached by jose), or the key set itself. */
  jwks: URL | JSONWebKeySet;
  clockToleranceSeconds?: number;
  now?: () => Date;
}

export interface JwtVerifier {
  /** The principal a bearer token proves; throws `StackfleetError` (kind `auth`, or `unavailable` when the JWKS cannot be fetched). */
  verify(token: string): Promise<Principal>;
}

export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const remote = options.jwks instanceof URL;
  const keys: JWTVerifyGetKey =
    options.jwks instanceof URL ? createRemoteJWKSet(options.jwks) : createLocalJWKSet(options.jwks);
  const now = options.now ?? (() => new Date());
  return {
    async verify(token) {
      if (!token) throw unauthenticated("token_missing", "A bearer token is required");
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: [...ACCEPTED_ALGORITHMS],
          clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
          currentDate: now(),
          requiredClaims: ["exp", "sub"],
        }));
      } catch (e) {
        throw toStackfleetError(e, remote) ?? e;
      }
      return principalFromClaims(payload);
    },
  };
}

/**
 * What the caller learns about a rejected token: expired, or simply invalid — the precise jose
 * reason (bad signature, wrong audience, …) goes into the message, never a different code, so a
 * client has exactly one thing to do per code. A JWKS endpoint that cannot be reached is our
 * outage, not the caller's fault, hence 503.
 */
function toStackfleetError(e: unknown, remote: boolean): StackfleetError | undefined {
  if (e instanceof errors.JWTExpired) return unauthenticated("token_expired", "The token has expired");
  if (remote && isJwksFetchFailure(e)) {
    return new StackfleetError(
      "unavailable",
      "jwks_unavailable",
      `The token issuer's keys could not be fetched: ${(e as Error).message}`,
    );
  }
  if (e instanceof errors.JOSEError) return unauthenticated("token_invalid", `The token is invalid: ${e.message}`);
  return undefined;
}

function isJwksFetchFailure(e: unknown): boolean {
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return true;
  // jose raises its generic error for a non-200 JWKS response, and fetch its own TypeError.
  if (e instanceof errors.JOSEError) return e.code === "ERR_JOSE_GENERIC";
  return e instanceof TypeError;
}
