import type { CloudFormationClientConfig } from "@aws-sdk/client-cloudformation";
import { STSClient } from "@aws-sdk/client-sts";
import { assumeRole } from "@stackfleet/core/access/assume";
import { type CustomerAccess, stsCustomerAccess } from "@stackfleet/core/executor/access";
import type { Sandbox, SandboxAccount } from "@stackfleet/sandbox/index";

/**
 * What `sst deploy` of the updater stage creates and the sandbox cannot know: the executor's role,
 * which every customer's update role trusts by ARN. It may assume `<prefix>-updater-*` roles only.
 */
export function seedExecutorRole(
  sandbox: Sandbox,
  updater: SandboxAccount,
  roleName: string,
  stackPrefix: string,
): string {
  const role = sandbox.control.putRole({
    accountId: updater.accountId,
    roleName,
    trustPolicy: {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${updater.accountId}:root` }, Action: "sts:AssumeRole" },
      ],
    },
    inlinePolicies: {
      AssumeCustomerUpdateRoles: {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["sts:AssumeRole", "sts:SetSourceIdentity"],
            Resource: `arn:aws:iam::*:role/${stackPrefix}-updater-*`,
          },
        ],
      },
    },
  });
  return role.arn;
}

/**
 * The executor's customer access as Lambda has it: its own role's credentials (here: a fresh
 * session of the seeded executor role for every run, as a Lambda gets fresh role credentials),
 * then AssumeRole into the customer's update role. Only the endpoint differs from production.
 */
export function executorAccess(sandbox: Sandbox, updater: SandboxAccount, executorRoleArn: string): CustomerAccess {
  const admin = new STSClient(sandbox.clientConfig(updater));
  const cfnConfig: Partial<CloudFormationClientConfig> = { endpoint: sandbox.endpoint, maxAttempts: 1 };
  return {
    async open(input) {
      const credentials = await assumeRole(admin, {
        roleArn: executorRoleArn,
        externalId: undefined,
        sessionName: "stackfleet-executor",
      });
      const sts = new STSClient({ endpoint: sandbox.endpoint, region: input.region, credentials });
      try {
        return await stsCustomerAccess(sts, cfnConfig).open(input);
      } finally {
        sts.destroy();
      }
    },
  };
}
