import { runSimulation } from "@cloud-copilot/iam-simulate";

/** An IAM policy document as the infra evaluation renders it. */
export type PolicyDoc = { Version?: string; Statement: Record<string, unknown>[] };
export const parsePolicy = (json: unknown): PolicyDoc => JSON.parse(String(json)) as PolicyDoc;

/** A role as IAM sees it when it acts: its ARN and identity policies. */
export interface Principal {
  arn: string;
  policies: { name: string; policy: PolicyDoc }[];
}

/**
 * IAM's decision (`Allowed`, `ExplicitlyDenied`, `ImplicitlyDenied`) for a role, or a bare principal
 * ARN with no identity policies, calling `action` on a resource in `account`.
 */
export async function decide(
  principal: Principal | string,
  action: string,
  resourceArn: string,
  options: { account: string; resourcePolicy?: PolicyDoc; context?: Record<string, string | string[]> },
): Promise<string> {
  const principalArn = typeof principal === "string" ? principal : principal.arn;
  const result = await runSimulation(
    {
      request: {
        principal: principalArn,
        action,
        resource: { resource: resourceArn, accountId: options.account },
        // AWS sets it for every request (a role session's is its role's ARN); the simulator does not.
        contextVariables: { "aws:PrincipalArn": principalArn, ...options.context },
      },
      identityPolicies: typeof principal === "string" ? [] : principal.policies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: options.resourcePolicy,
    },
    {},
  );
  if (result.resultType === "error") throw new Error(JSON.stringify(result.errors));
  return result.overallResult;
}
