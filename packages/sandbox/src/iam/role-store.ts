import type { IamRole, ManagedPolicy, RoleStore } from "../contract";
import { AWS_MANAGED_POLICIES } from "./aws-managed";

const AWS_MANAGED = new Set(AWS_MANAGED_POLICIES.map((p) => p.arn));

/** IAM roles and managed policies of every simulated account, in memory. */
export class InMemoryRoleStore implements RoleStore {
  private readonly roles = new Map<string, IamRole>();
  private readonly policies = new Map<string, ManagedPolicy>();
  private changes = 0;

  constructor() {
    for (const policy of AWS_MANAGED_POLICIES) this.policies.set(policy.arn, policy);
  }

  /** Bumped by every write: whoever caches IAM decisions drops them when it moves. */
  get version(): number {
    return this.changes;
  }

  /** The roles and the account-made managed policies (AWS-managed ones are built in), to persist. */
  save(): { roles: IamRole[]; policies: ManagedPolicy[] } {
    return { roles: this.listRoles(), policies: [...this.policies.values()].filter((p) => !AWS_MANAGED.has(p.arn)) };
  }

  restore(saved: { roles: IamRole[]; policies: ManagedPolicy[] }): void {
    for (const role of saved.roles) this.putRole(role);
    for (const policy of saved.policies) this.putManagedPolicy(policy);
  }

  putRole(role: IamRole): void {
    this.changes++;
    this.roles.set(roleKey(role.accountId, role.roleName), structuredClone(role));
  }

  deleteRole(accountId: string, roleName: string): void {
    this.changes++;
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
    this.changes++;
    this.policies.set(policy.arn, structuredClone(policy));
  }

  deleteManagedPolicy(arn: string): void {
    this.changes++;
    this.policies.delete(arn);
  }

  getManagedPolicy(arn: string): ManagedPolicy | undefined {
    return this.policies.get(arn);
  }

  managedPolicyNamed(accountId: string, name: string): ManagedPolicy | undefined {
    return [...this.policies.values()].find((p) => isPolicyNamed(p.arn, accountId, name));
  }
}

/** Whether `arn:…:iam::<account>:policy/<path/><name>` is the account's policy of that name, any case. */
export function isPolicyNamed(arn: string, accountId: string, name: string): boolean {
  const match = /^arn:[\w-]+:iam::(\d{12}):policy\/(?:.*\/)?([^/]+)$/.exec(arn);
  return match?.[1] === accountId && match[2]!.toLowerCase() === name.toLowerCase();
}

function roleKey(accountId: string, roleName: string): string {
  return `${accountId}/${roleName.toLowerCase()}`;
}

export function parseRoleArn(arn: string): { accountId: string; roleName: string } | undefined {
  const match = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/.exec(arn);
  return match ? { accountId: match[1]!, roleName: match[2]! } : undefined;
}
