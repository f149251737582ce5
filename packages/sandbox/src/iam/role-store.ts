import type { IamRole, ManagedPolicy, RoleStore } from "../contract";
import { AWS_MANAGED_POLICIES } from "./aws-managed";

/** IAM roles and managed policies of every simulated account, in memory. */
export class InMemoryRoleStore implements RoleStore {
  private readonly roles = new Map<string, IamRole>();
  private readonly policies = new Map<string, ManagedPolicy>();

  constructor() {
    for (const policy of AWS_MANAGED_POLICIES) this.policies.set(policy.arn, policy);
  }

  putRole(role: IamRole): void {
    this.roles.set(roleKey(role.accountId, role.roleName), structuredClone(role));
  }

  deleteRole(accountId: string, roleName: string): void {
    this.roles.delete(roleKey(accountId, roleName));
  }

  /** Role names are unique per account whatever their path, so the path is ignored here. */
  getRole(arn: string): IamRole | undefined {
    const parsed = parseRoleArn(arn);
    return parsed ? this.roles.get(roleKey(parsed.accountId, parsed.roleName)) : undefined;
  }

  listRoles(accountId?: string): IamRole[] {
    return [...this.roles.values()].filter((r) => !accountId || r.accountId === accountId);
  }

  putManagedPolicy(policy: ManagedPolicy): void {
    this.policies.set(policy.arn, structuredClone(policy));
  }

  deleteManagedPolicy(arn: string): void {
    this.policies.delete(arn);
  }

  getManagedPolicy(arn: string): ManagedPolicy | undefined {
    return this.policies.get(arn);
  }
}

function roleKey(accountId: string, roleName: string): string {
  return `${accountId}/${roleName.toLowerCase()}`;
}

export function parseRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
  return match ? { accountId: match[1]!, roleName: match[2]! } : undefined;
}
