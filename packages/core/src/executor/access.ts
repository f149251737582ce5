import type { CloudFormationClient, CloudFormationClientConfig } from "@aws-sdk/client-cloudformation";
import type { STSClient } from "@aws-sdk/client-sts";
import { assumeRole } from "../access/assume";

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

/**
 * The only way the executor reaches a customer account: STS AssumeRole with the integration's
 * ExternalId (read from the table, never from the schedule), the shortest session STS allows,
 * then CloudFormation with those credentials.
 */
export function stsCustomerAccess(
  sts: STSClient,
  cloudFormation: Partial<CloudFormationClientConfig> = {},
): CustomerAccess {
  return {
    async open(input) {
      const credentials = await assumeRole(sts, input);
      // Loaded on first use: an invocation that never reaches a customer account never loads it.
      const { CloudFormationClient } = await import("@aws-sdk/client-cloudformation");
      return new CloudFormationClient({
        ...cloudFormation,
        region: input.region,
        credentials,
      });
    },
  };
}
