import { SandboxError } from "../contract";

/** What a simulated account stands for in the Stackfleet story. */
export type AccountRole = "vendor" | "updater" | "customer";

/** A simulated AWS account and its long-term (administrator) access key. */
export interface SandboxAccount {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  role: AccountRole;
}

/**
 * The long-term credentials act as an IAM user with AdministratorAccess, not as the root user:
 * AWS refuses AssumeRole for root credentials, and an admin user is what a developer really holds.
 */
export const ADMIN_USER_NAME = "sandbox-admin";

export function adminUserArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:user/${ADMIN_USER_NAME}`;
}

const DEFAULT_ACCOUNTS: Array<Pick<SandboxAccount, "accountId" | "role">> = [
  { accountId: "111111111111", role: "vendor" },
  { accountId: "222222222222", role: "updater" },
  { accountId: "333333333333", role: "customer" },
  { accountId: "444444444444", role: "customer" },
  { accountId: "555555555555", role: "customer" },
];

/** Deterministic keys so a restarted sandbox accepts the same `.stackfleet/local.json`. */
export function accountWithKeys(accountId: string, role: AccountRole): SandboxAccount {
  if (!/^\d{12}$/.test(accountId)) throw new Error(`account id must be 12 digits: ${accountId}`);
  return {
    accountId,
    role,
    accessKeyId: `AKIASANDBOX${accountId.slice(-9)}`,
    secretAccessKey: `sandbox-secret-${accountId}-do-not-use-in-aws`,
  };
}

export function defaultAccounts(): SandboxAccount[] {
  return DEFAULT_ACCOUNTS.map((a) => accountWithKeys(a.accountId, a.role));
}

export class AccountRegistry {
  private readonly byKey = new Map<string, SandboxAccount>();
  private readonly byId = new Map<string, SandboxAccount>();

  constructor(accounts: SandboxAccount[]) {
    for (const account of accounts) {
      if (this.byId.has(account.accountId)) throw new Error(`duplicate account ${account.accountId}`);
      this.byKey.set(account.accessKeyId, account);
      this.byId.set(account.accountId, account);
    }
  }

  list(): SandboxAccount[] {
    return [...this.byId.values()];
  }

  byAccessKey(accessKeyId: string): SandboxAccount | undefined {
    return this.byKey.get(accessKeyId);
  }

  get(accountId: string): SandboxAccount {
    const account = this.byId.get(accountId);
    if (!account) throw new SandboxError("NoSuchEntity", `The sandbox has no account ${accountId}.`, 404);
    return account;
  }
}
