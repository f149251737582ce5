import type { JwtVerifier, Principal } from "@stackfleet/core/auth";

/** Tokens remembered at once; the oldest is forgotten first. */
const MAX_ENTRIES = 1_000;
/** Never trust a remembered answer longer than this, whatever the token's `exp`. */
const MAX_AGE_MS = 60_000;

/**
 * Remembers which bearer tokens verified, until their `exp` (at most a minute): a dashboard sends
 * the same token with every request, and the signature check is most of an API request's CPU
 * that is not DynamoDB's. Keyed by the whole token, so a remembered answer is only ever reused
 * for the exact signed bytes it was computed from; failures are never remembered.
 */
export function rememberVerifiedTokens(verifier: JwtVerifier, now: () => Date): JwtVerifier {
  const verified = new Map<string, { principal: Principal; until: number }>();
  return {
    async verify(token) {
      const at = now().getTime();
      const known = verified.get(token);
      if (known && at < known.until) return known.principal;
      verified.delete(token);
      const principal = await verifier.verify(token);
      if (verified.size >= MAX_ENTRIES) verified.delete(verified.keys().next().value!);
      verified.set(token, { principal, until: Math.min(expiryOf(token), at + MAX_AGE_MS) });
      return principal;
    },
  };
}

/** `exp` in ms of a token the verifier just accepted (so it is well formed and carries `exp`). */
function expiryOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: unknown };
  return typeof payload.exp === "number" ? payload.exp * 1000 : 0;
}
