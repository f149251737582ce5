import { inputError } from "../../error";

/**
 * Names of what the customer template creates. IAM is global to an account while the stack is
 * regional, so role names carry the Region: the same account can connect several Regions. Every
 * name starts with `<prefix>-`, which is what the update role, the service role and the executor
 * all scope to.
 */
export const roleNames = (prefix: string) => ({
  integration: `${prefix}-integration-\${AWS::Region}`,
  update: `${prefix}-updater-\${AWS::Region}`,
  service: `${prefix}-cfn-service-\${AWS::Region}`,
  registration: `${prefix}-registration-\${AWS::Region}`,
});

/**
 * The vendor permissions boundary the template publishes, as `Fn::Sub` text over `StackUuid` (see
 * ./boundary). Its ARN is spelled from this name (not `Ref`) inside its own document, which cannot
 * refer to itself. The boundary outlives its stack (the service role may not delete it), so the name
 * carries the stack id's UUID: a reinstall, or a retry after a failed create, never collides with a
 * policy an earlier stack left behind. At most 31 + 10 + 14 + 1 + 36 = 92 of IAM's 128 characters.
 */
export const boundaryPolicyName = (prefix: string) => `${prefix}-boundary-\${AWS::Region}-\${StackUuid}`;

/** Lambda function names are regional already. */
export const registrationFunctionName = (prefix: string) => `${prefix}-registration`;

/** Must stay equal to Lambda's default so logs land in the group the stack owns. */
export const registrationLogGroupName = (prefix: string) => `/aws/lambda/${registrationFunctionName(prefix)}`;

// CloudFormation: a letter, then letters, digits and hyphens, at most 128 characters.
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/**
 * The stack name the quick-create link proposes: `<prefix>-<suffix>`. The executor and the update
 * role only ever touch stacks named `<prefix>-*`, so any other name would never be updated.
 */
export function stackNameFor(prefix: string, suffix = "integration"): string {
  const name = `${prefix}-${suffix}`;
  if (!STACK_NAME.test(name) || suffix.length === 0) {
    throw inputError("stack_name_invalid", `"${name}" is not a valid CloudFormation stack name`);
  }
  return name;
}

/** Whether a stack name is inside the prefix the update role is scoped to. */
export const isPrefixedStackName = (prefix: string, stackName: string) =>
  stackName.startsWith(`${prefix}-`) && stackName.length > prefix.length + 1 && STACK_NAME.test(stackName);
