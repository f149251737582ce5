import { type Principal, type RoleStore, type SandboxClock, SandboxError } from "../contract";
import type { Authorizer } from "../iam/authorize";
import { parseRoleArn } from "../iam/role-store";
import type { SessionStore } from "./sessions";
import { checkRange, checkString, EXTERNAL_ID, SESSION_NAME } from "./validate";

/** The members of `AssumeRoleRequest` the sandbox honours (session policies and tags are ignored). */
export interface AssumeRoleInput {
  RoleArn?: string;
  RoleSessionName?: string;
  ExternalId?: string;
  DurationSeconds?: number;
  SourceIdentity?: string;
}

export interface AssumeRoleOutput {
  Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: Date };
  AssumedRoleUser: { AssumedRoleId: string; Arn: string };
  SourceIdentity?: string;
}

/** Role chaining (a session assuming another role) is capped at one hour by AWS. */
const CHAINED_MAX_SECONDS = 3600;

export class AssumeRoleService {
  constructor(
    private readonly roles: RoleStore,
    private readonly authorizer: Authorizer,
    private readonly sessions: SessionStore,
    private readonly clock: SandboxClock,
  ) {}

  async assumeRole(caller: Principal, input: AssumeRoleInput, region: string): Promise<AssumeRoleOutput> {
    checkString("roleArn", input.RoleArn, { min: 20, max: 2048, required: true });
    checkString("roleSessionName", input.RoleSessionName, { ...SESSION_NAME, required: true });
    checkString("externalId", input.ExternalId, EXTERNAL_ID);
    checkString("sourceIdentity", input.SourceIdentity, SESSION_NAME);
    checkRange("durationSeconds", input.DurationSeconds, 900, 43_200);
    const roleArn = input.RoleArn!;
    const sessionName = input.RoleSessionName!;
    if (input.SourceIdentity?.toLowerCase().startsWith("aws:")) {
      throw new SandboxError("ValidationError", "SourceIdentity cannot start with the prefix 'aws:'.");
    }
    const target = parseRoleArn(roleArn);
    if (!target) throw new SandboxError("ValidationError", `${roleArn} is invalid`);

    const role = this.roles.getRole(roleArn);
    const denied = new SandboxError(
      "AccessDenied",
      `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      403,
    );
    // AWS does not reveal whether the role exists: a missing role is the same AccessDenied.
    if (!role) throw denied;

    // A source identity, once set, follows the session through every chained AssumeRole.
    const inherited = caller.type === "assumed-role" ? caller.sourceIdentity : undefined;
    if (inherited && input.SourceIdentity && input.SourceIdentity !== inherited) {
      throw new SandboxError("AccessDenied", "SourceIdentity of a session cannot be changed once set.", 403);
    }
    const sourceIdentity = inherited ?? input.SourceIdentity;
    const context = {
      "sts:ExternalId": input.ExternalId,
      "sts:RoleSessionName": sessionName,
      "sts:SourceIdentity": sourceIdentity,
    };
    const request = {
      principal: caller,
      resource: role.arn,
      resourceAccount: role.accountId,
      resourcePolicy: role.assumeRolePolicyDocument,
      region,
      context,
    };
    if ((await this.authorizer.evaluate({ ...request, action: "sts:AssumeRole" })) !== "Allowed") throw denied;
    if (input.SourceIdentity && !inherited) {
      const decision = await this.authorizer.evaluate({ ...request, action: "sts:SetSourceIdentity" });
      if (decision !== "Allowed") {
        throw new SandboxError(
          "AccessDenied",
          `User: ${caller.arn} is not authorized to perform: sts:SetSourceIdentity on resource: ${roleArn}`,
          403,
        );
      }
    }

    const chained = caller.type === "assumed-role";
    const duration = input.DurationSeconds ?? 3600;
    if (chained && duration > CHAINED_MAX_SECONDS) {
      throw new SandboxError(
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
      );
    }
    if (duration > role.maxSessionDuration) {
      throw new SandboxError(
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      );
    }

    const expiresAt = new Date(this.clock.now().getTime() + duration * 1000);
    const arn = `arn:aws:sts::${role.accountId}:assumed-role/${role.roleName}/${sessionName}`;
    const session = this.sessions.issue({
      type: "assumed-role",
      accountId: role.accountId,
      arn,
      roleArn: role.arn,
      roleId: role.roleId,
      sessionName,
      sourceIdentity,
      expiresAt,
      chained,
    });
    return {
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: expiresAt,
      },
      AssumedRoleUser: { AssumedRoleId: `${role.roleId}:${sessionName}`, Arn: arn },
      ...(sourceIdentity ? { SourceIdentity: sourceIdentity } : {}),
    };
  }
}

/** `GetCallerIdentity` needs no permission, so it works even for sessions of a deleted role. */
export function callerIdentity(caller: Principal): { UserId: string; Account: string; Arn: string } {
  if (caller.type === "account") {
    return { UserId: `AIDASANDBOX${caller.accountId}`, Account: caller.accountId, Arn: caller.arn };
  }
  return {
    UserId: `${caller.roleId ?? "AROASANDBOX"}:${caller.sessionName}`,
    Account: caller.accountId,
    Arn: caller.arn,
  };
}
