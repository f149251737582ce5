/**
 * Internal contract between the sandbox's parts: the CloudFormation engine (./cloudformation),
 * and IAM/STS/Scheduler/the HTTP server (./iam, ./sts, ./scheduler, ./server). The server
 * authenticates the caller, authorises the call with the IAM evaluator, and only then calls the
 * engine; the engine keeps stacks and publishes the IAM roles its stacks create into the RoleStore.
 *
 * DEVELOPMENT AND TEST HARNESS ONLY — never imported by a Lambda bundle.
 */

export interface SandboxClock {
  now(): Date;
}

/** An AWS error as the SDK will see it: `code` is the error type name, `status` the HTTP status. */
export class SandboxError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly sender = true,
  ) {
    super(message);
  }
}

export type PolicyDocument = {
  Version?: string;
  Statement: Array<Record<string, unknown>> | Record<string, unknown>;
};

/** An IAM role materialised from an `AWS::IAM::Role` resource of a sandbox stack. */
export interface IamRole {
  accountId: string;
  roleName: string;
  path: string;
  arn: string;
  roleId: string;
  assumeRolePolicyDocument: PolicyDocument;
  inlinePolicies: Record<string, PolicyDocument>;
  managedPolicyArns: string[];
  permissionsBoundaryArn?: string;
  maxSessionDuration: number;
  /** The stack that owns it; deleting the stack (or the resource) deletes the role. */
  stackId?: string;
}

/** Managed policies (`AWS::IAM::ManagedPolicy` resources, plus a few AWS-managed ones). */
export interface ManagedPolicy {
  arn: string;
  document: PolicyDocument;
}

export interface RoleStore {
  putRole(role: IamRole): void;
  deleteRole(accountId: string, roleName: string): void;
  getRole(arn: string): IamRole | undefined;
  putManagedPolicy(policy: ManagedPolicy): void;
  deleteManagedPolicy(arn: string): void;
  getManagedPolicy(arn: string): ManagedPolicy | undefined;
  /** The account's policy of that name whatever its path: IAM names are unique per account, not by case. */
  managedPolicyNamed(accountId: string, name: string): ManagedPolicy | undefined;
}

/** Who is calling: an account's own (administrator) credentials, or an assumed-role session. */
export type Principal =
  | { type: "account"; accountId: string; arn: string }
  | {
      type: "assumed-role";
      accountId: string;
      /** arn:aws:sts::<acct>:assumed-role/<name>/<session> */
      arn: string;
      roleArn: string;
      sessionName: string;
      sourceIdentity?: string;
      expiresAt: Date;
      /** The role's unique id at AssumeRole time: a deleted and re-created role does not revive old sessions. */
      roleId?: string;
      /** Set when this session was obtained with another session's credentials (role chaining). */
      chained?: boolean;
    };
