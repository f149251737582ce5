import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import type { IamRole, PolicyDocument } from "../src/contract";
import type { Sandbox } from "../src/index";

export const REGION = "us-east-1";
export const VENDOR = "111111111111";
export const UPDATER = "222222222222";
export const CUSTOMER = "333333333333";
export const OTHER_CUSTOMER = "444444444444";

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

/** SDK client settings for a sandbox account (its admin key) or for session credentials. */
export function config(sandbox: Sandbox, who: string | Credentials) {
  const base =
    typeof who === "string"
      ? sandbox.clientConfig(who, REGION)
      : { ...sandbox.clientConfig(VENDOR, REGION), credentials: who };
  // One attempt: a test about an error must see that error, not the SDK's retry of it.
  return { ...base, maxAttempts: 1 };
}

export function policy(...statements: Array<Record<string, unknown>>): PolicyDocument {
  return { Version: "2012-10-17", Statement: statements };
}

let roleCounter = 0;

/** Puts a role straight into the sandbox's IAM (as a stack's `AWS::IAM::Role` would). */
export function putRole(
  sandbox: Sandbox,
  accountId: string,
  roleName: string,
  trust: PolicyDocument,
  inline: Record<string, PolicyDocument> = {},
  extra: Partial<IamRole> = {},
): IamRole {
  const role: IamRole = {
    accountId,
    roleName,
    path: "/",
    arn: `arn:aws:iam::${accountId}:role/${roleName}`,
    roleId: `AROATEST${String(++roleCounter).padStart(12, "0")}`,
    assumeRolePolicyDocument: trust,
    inlinePolicies: inline,
    managedPolicyArns: [],
    maxSessionDuration: 3600,
    ...extra,
  };
  sandbox.roles.putRole(role);
  return role;
}

/** Assumes a role with an account's admin key or with other session credentials. */
export async function assume(
  sandbox: Sandbox,
  who: string | Credentials,
  roleArn: string,
  extra: { ExternalId?: string; DurationSeconds?: number; SourceIdentity?: string; RoleSessionName?: string } = {},
): Promise<Credentials & { expiration: Date }> {
  const sts = new STSClient(config(sandbox, who));
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "test-session", ...extra }));
  const c = out.Credentials!;
  return {
    accessKeyId: c.AccessKeyId!,
    secretAccessKey: c.SecretAccessKey!,
    sessionToken: c.SessionToken!,
    expiration: c.Expiration!,
  };
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export async function failure(
  fn: () => Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number }; Code?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}
