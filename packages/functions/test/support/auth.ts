import type { JwtVerifier, Principal } from "@stackfleet/core/auth";
import { createDevVerifier, generateDevAuthKey, issueDevToken } from "@stackfleet/local/dev/auth-key";

export interface TestAuth {
  /** For `ApiDeps.auth`. */
  auth: JwtVerifier;
  /** `{ authorization: "Bearer …" }` for a token the `auth` verifier accepts. */
  headersFor(principal: {
    role: Principal["role"];
    tenantId?: string;
    subject?: string;
  }): Promise<Record<string, string>>;
}

/** An in-memory dev key per app under test; tokens are valid for an hour from `now`. */
export async function createTestAuth(now?: () => Date): Promise<TestAuth> {
  const key = await generateDevAuthKey();
  return {
    auth: createDevVerifier(key, now),
    async headersFor(principal) {
      const token = await issueDevToken({ key, ttl: "1h", ...principal, ...(now ? { now } : {}) });
      return { authorization: `Bearer ${token}` };
    },
  };
}
