import { type Principal, type SandboxClock, SandboxError } from "../contract";
import { type AccountRegistry, adminUserArn } from "../iam/accounts";
import type { SessionStore } from "../sts/sessions";

export interface ResolvedCaller {
  principal: Principal;
  secretAccessKey: string;
  sessionToken?: string;
}

/**
 * Who is calling, from the access key: an account's long-term key, or a session issued by
 * AssumeRole (which must come with its session token and must not have expired).
 */
export function resolveCaller(
  accessKeyId: string,
  sessionToken: string | undefined,
  accounts: AccountRegistry,
  sessions: SessionStore,
  clock: SandboxClock,
): ResolvedCaller {
  const account = accounts.byAccessKey(accessKeyId);
  if (account) {
    return {
      principal: { type: "account", accountId: account.accountId, arn: adminUserArn(account.accountId) },
      secretAccessKey: account.secretAccessKey,
    };
  }
  const session = sessions.byAccessKey(accessKeyId);
  if (!session || session.sessionToken !== sessionToken) {
    throw new SandboxError("InvalidClientTokenId", "The security token included in the request is invalid.", 403);
  }
  if (session.principal.expiresAt.getTime() <= clock.now().getTime()) {
    throw new SandboxError("ExpiredToken", "The security token included in the request is expired", 403);
  }
  return { principal: session.principal, secretAccessKey: session.secretAccessKey, sessionToken };
}
