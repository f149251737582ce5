import type { IamRole, RoleStore } from "../../contract";

/**
 * The RoleStore plus a name index: `AWS::IAM::Policy` and `ManagedPolicy.Roles` name roles without
 * their path, while the store is keyed by ARN.
 */
export class RoleDirectory {
  private readonly arnsByName = new Map<string, string>();

  constructor(readonly store: RoleStore) {}

  put(role: IamRole): void {
    this.store.putRole(role);
    this.arnsByName.set(key(role.accountId, role.roleName), role.arn);
  }

  delete(accountId: string, roleName: string): void {
    this.store.deleteRole(accountId, roleName);
    this.arnsByName.delete(key(accountId, roleName));
  }

  byName(accountId: string, roleName: string): IamRole | undefined {
    const arn = this.arnsByName.get(key(accountId, roleName)) ?? `arn:aws:iam::${accountId}:role/${roleName}`;
    return this.store.getRole(arn);
  }

  byArn(arn: string): IamRole | undefined {
    return this.store.getRole(arn);
  }
}

// IAM role names are case-insensitively unique within an account.
const key = (accountId: string, roleName: string) => `${accountId}/${roleName.toLowerCase()}`;
