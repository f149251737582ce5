import { CloudFormationClient, type CloudFormationClientConfig } from "@aws-sdk/client-cloudformation";
import { AssumeRoleCommand, type STSClient } from "@aws-sdk/client-sts";
import { forbidden, StackfleetError } from "../error";

export interface AssumeInput {
  roleArn: string;
  externalId: string;
  /** The run id: it shows in the customer's CloudTrail next to every call we make. */
  sessionName: string;
  sourceIdentity: string;
  region: string;
}

/** A CloudFormation client acting as the customer's update role, for one run. */
export interface CustomerAccess {
  open(input: AssumeInput): Promise<CloudFormationClient>;
}

const isAccessDenied = (e: unknown) => ["AccessDenied", "AccessDeniedException"].includes((e as { name?: string }).name ?? "");

/**
 * The only way the executor reaches a customer account: STS AssumeRole with the integration's
 * ExternalId (read from the table, never from the schedule), the shortest session STS allows,
 * then CloudFormation with those credentials.
 */
export function stsCustomerAccess(sts: STSClient, cloudFormation: Partial<CloudFormationClientConfig> = {}): CustomerAccess {
  return {
    async open(input) {
      let credentials;
      try {
        ({ Credentials: credentials } = await sts.send(
          new AssumeRoleCommand({
            RoleArn: input.roleArn,
            RoleSessionName: input.sessionName,
            ExternalId: input.externalId,
            SourceIdentity: input.sourceIdentity,
            DurationSeconds: 900,
          }),
        ));
      } catch (e) {
        if (isAccessDenied(e)) throw forbidden("assume_denied", `AssumeRole into ${input.roleArn} was denied: ${(e as Error).message}`);
        throw new StackfleetError("unavailable", "sts_failed", `AssumeRole failed: ${(e as Error).name}: ${(e as Error).message}`);
      }
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) throw new StackfleetError("unavailable", "sts_failed", "AssumeRole returned no credentials");
      return new CloudFormationClient({
        ...cloudFormation,
        region: input.region,
        credentials: {
          accessKeyId: credentials.AccessKeyId,
          secretAccessKey: credentials.SecretAccessKey,
          sessionToken: credentials.SessionToken,
          expiration: credentials.Expiration,
        },
      });
    },
  };
}
