import { runSimulation, type SimulationIdentityPolicy } from "@cloud-copilot/iam-simulate";
import type { ResolvedStack } from "./resolve-template";

/**
 * IAM decisions for resolved templates, with AWS's own evaluation logic (`@cloud-copilot/iam-simulate`,
 * AGPL, so test-only). TEST SUPPORT ONLY.
 */
export type Decision = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export type PolicyDocument = { Version?: string; Statement: unknown };

export type DecideInput = {
  principal: string;
  action: string;
  resource: string;
  resourceAccount: string;
  identityPolicies?: SimulationIdentityPolicy[];
  /** A role's trust policy when the action is `sts:AssumeRole` and friends. */
  resourcePolicy?: PolicyDocument;
  boundary?: PolicyDocument;
  context?: Record<string, string | string[]>;
};

export async function decide(input: DecideInput): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: input.principal,
        action: input.action,
        resource: { resource: input.resource, accountId: input.resourceAccount },
        contextVariables: input.context ?? {},
      },
      identityPolicies: input.identityPolicies ?? [],
      permissionBoundaryPolicies: input.boundary ? [{ name: "boundary", policy: input.boundary }] : undefined,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: input.resourcePolicy,
    },
    {},
  );
  // A request the simulator cannot evaluate is a broken test or policy, never a denial.
  if (result.resultType === "error")
    throw new Error(`iam-simulate rejected the request: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

/** A role of a resolved stack: its ARN, trust policy, inline policies and boundary ARN. */
export function roleOf(stack: ResolvedStack, logicalId: string) {
  const resource = stack.resources[logicalId];
  if (resource?.Type !== "AWS::IAM::Role") throw new Error(`${logicalId} is not a role of this stack`);
  const p = resource.Properties;
  const policies = (p.Policies ?? []) as Array<{ PolicyName: string; PolicyDocument: PolicyDocument }>;
  return {
    name: p.RoleName as string,
    trust: p.AssumeRolePolicyDocument as PolicyDocument,
    identityPolicies: policies.map((x) => ({ name: x.PolicyName, policy: x.PolicyDocument })),
    managedPolicyArns: (p.ManagedPolicyArns ?? []) as string[],
    boundaryArn: p.PermissionsBoundary as string | undefined,
  };
}

/** The policy of a principal allowed to do anything: isolates the decision to the policy under test. */
export const ADMINISTRATOR: SimulationIdentityPolicy = {
  name: "AdministratorAccess",
  policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
};
