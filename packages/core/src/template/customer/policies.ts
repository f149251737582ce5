import { BOUNDED_ROLE_WRITES, boundaryArn, guardStatements, passedRoleArn } from "./boundary";
import type { CustomerTemplateConfig } from "./config";
import { getAtt, ownArn, ownIamArn, ref, sub } from "./intrinsics";
import { LOGICAL } from "./logical";
import { registrationLogGroupName } from "./names";

export { LOGICAL };

const document = (...statements: Array<Record<string, unknown>>) => ({ Version: "2012-10-17", Statement: statements });

const externalIdMatches = { StringEquals: { "sts:ExternalId": ref("ExternalId") } };

const executorArn = (c: CustomerTemplateConfig) =>
  sub(`arn:\${AWS::Partition}:iam::${c.updaterAccountId}:role/${c.executorRoleName}`);

const serviceRoleArn = getAtt(LOGICAL.serviceRole, "Arn");

/** The vendor account (any principal it delegates to) with this integration's ExternalId. */
export function integrationTrust(c: CustomerTemplateConfig) {
  return document({
    Sid: "VendorWithExternalId",
    Effect: "Allow",
    Principal: { AWS: sub(`arn:\${AWS::Partition}:iam::${c.vendorAccountId}:root`) },
    Action: "sts:AssumeRole",
    Condition: externalIdMatches,
  });
}

/**
 * Only the executor role, only with the ExternalId. `sts:SetSourceIdentity` is a separate
 * statement because IAM evaluates it as its own action, in whose context `sts:ExternalId` does
 * not exist: a shared condition would make every AssumeRole carrying a SourceIdentity fail.
 * SetSourceIdentity alone grants nothing; the AssumeRole statement still needs the ExternalId.
 */
export function updateTrust(c: CustomerTemplateConfig) {
  return document(
    {
      Sid: "ExecutorWithExternalId",
      Effect: "Allow",
      Principal: { AWS: executorArn(c) },
      Action: "sts:AssumeRole",
      Condition: externalIdMatches,
    },
    {
      Sid: "ExecutorSourceIdentity",
      Effect: "Allow",
      Principal: { AWS: executorArn(c) },
      Action: "sts:SetSourceIdentity",
    },
  );
}

/**
 * Change sets on `<prefix>-*` stacks of this Region, always run by the stack's own service role
 * (`cloudformation:RoleArn` must name it, so CloudFormation acts with that role and never with
 * the executor's short chained session), always from a `TemplateBody` (the key
 * `cloudformation:TemplateUrl` must be absent: the executor sends the bytes it verified, and a URL
 * would let CloudFormation fetch something else), never importing existing resources.
 */
export function updatePermissions(c: CustomerTemplateConfig) {
  const prefixedStacks = ownArn("cloudformation", `stack/${c.stackPrefix}-*/*`);
  return document(
    {
      Sid: "CreateChangeSetsRunByTheServiceRole",
      Effect: "Allow",
      Action: "cloudformation:CreateChangeSet",
      Resource: prefixedStacks,
      Condition: {
        StringEquals: { "cloudformation:RoleArn": serviceRoleArn },
        Null: { "cloudformation:TemplateUrl": "true", "cloudformation:ImportResourceTypes": "true" },
      },
    },
    {
      Sid: "ReviewAndExecuteChangeSets",
      Effect: "Allow",
      Action: [
        "cloudformation:DescribeChangeSet",
        "cloudformation:ExecuteChangeSet",
        "cloudformation:DeleteChangeSet",
        "cloudformation:ListChangeSets",
        "cloudformation:DescribeStacks",
        "cloudformation:DescribeStackEvents",
        "cloudformation:GetTemplate",
      ],
      Resource: prefixedStacks,
    },
    {
      Sid: "PassOnlyTheServiceRoleToCloudFormation",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: serviceRoleArn,
      Condition: { StringEquals: { "iam:PassedToService": "cloudformation.amazonaws.com" } },
    },
  );
}

/**
 * CloudFormation only. `IfExists`: the confused-deputy key is checked whenever CloudFormation
 * supplies it, without making the role unusable should it not; `iam:PassRole` never crosses
 * accounts, and the update role may pass nothing but this role.
 */
export function serviceTrust() {
  return document({
    Sid: "CloudFormationOnly",
    Effect: "Allow",
    Principal: { Service: "cloudformation.amazonaws.com" },
    Action: "sts:AssumeRole",
    Condition: { StringEqualsIfExists: { "aws:SourceAccount": ref("AWS::AccountId") } },
  });
}

/**
 * What CloudFormation needs to create, update and delete this template's own resources, and no
 * more: IAM roles and managed policies named `<prefix>-*`, the `<prefix>-*` Lambda functions and
 * their log groups. Every role it creates or changes carries the stack's permissions boundary; it
 * cannot change the update role, itself or the boundary (see ./boundary). Future versions that add
 * other resource types or pass other roles need the customer to update the stack with their own role.
 */
export function servicePermissions(c: CustomerTemplateConfig) {
  const p = c.stackPrefix;
  const roles = ownIamArn(`role/${p}-*`);
  const logGroups = `log-group:/aws/lambda/${p}-*`;
  return document(
    {
      Sid: "ReadPrefixedRoles",
      Effect: "Allow",
      Action: ["iam:GetRole*", "iam:ListRole*", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole"],
      Resource: roles,
    },
    {
      Sid: "ChangePrefixedRolesWithinTheBoundary",
      Effect: "Allow",
      Action: BOUNDED_ROLE_WRITES,
      Resource: roles,
      Condition: { StringEquals: { "iam:PermissionsBoundary": boundaryArn() } },
    },
    {
      // IAM offers no boundary key for these; the boundary still caps whatever the role may do.
      Sid: "ManagePrefixedRoles",
      Effect: "Allow",
      Action: [
        "iam:DeleteRole",
        "iam:UpdateRole",
        "iam:UpdateRoleDescription",
        "iam:UpdateAssumeRolePolicy",
        "iam:TagRole",
        "iam:UntagRole",
      ],
      Resource: roles,
    },
    {
      Sid: "ManagePrefixedPolicies",
      Effect: "Allow",
      Action: [
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:ListPolicyVersions",
        "iam:CreatePolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:DeletePolicy",
        "iam:TagPolicy",
        "iam:UntagPolicy",
      ],
      Resource: ownIamArn(`policy/${p}-*`),
    },
    {
      Sid: "PassTheRegistrationRoleToLambda",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: passedRoleArn(c),
      Condition: { StringEquals: { "iam:PassedToService": "lambda.amazonaws.com" } },
    },
    {
      Sid: "ManagePrefixedFunctions",
      Effect: "Allow",
      Action: [
        "lambda:Get*",
        "lambda:ListTags",
        "lambda:ListVersionsByFunction",
        "lambda:CreateFunction",
        "lambda:DeleteFunction",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:PublishVersion",
        "lambda:PutFunctionConcurrency",
        "lambda:DeleteFunctionConcurrency",
        "lambda:TagResource",
        "lambda:UntagResource",
        "lambda:InvokeFunction",
      ],
      Resource: ownArn("lambda", `function:${p}-*`),
    },
    {
      Sid: "ManagePrefixedLogGroups",
      Effect: "Allow",
      Action: [
        "logs:CreateLogGroup",
        "logs:DeleteLogGroup",
        "logs:PutRetentionPolicy",
        "logs:DeleteRetentionPolicy",
        "logs:TagResource",
        "logs:UntagResource",
        "logs:ListTagsForResource",
      ],
      Resource: [ownArn("logs", logGroups), ownArn("logs", `${logGroups}:*`)],
    },
    {
      // CloudFormation reads log groups back with DescribeLogGroups, which only takes a wildcard.
      Sid: "DescribeLogGroups",
      Effect: "Allow",
      Action: "logs:DescribeLogGroups",
      Resource: ownArn("logs", "log-group:*"),
    },
    ...guardStatements(c, boundaryArn(), false),
  );
}

export function lambdaTrust() {
  return document({
    Effect: "Allow",
    Principal: { Service: "lambda.amazonaws.com" },
    Action: "sts:AssumeRole",
  });
}

/** Writing its own log group is all the registration function does in the account. */
export function registrationPermissions(c: CustomerTemplateConfig) {
  return document({
    Sid: "WriteOwnLogs",
    Effect: "Allow",
    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
    Resource: ownArn("logs", `log-group:${registrationLogGroupName(c.stackPrefix)}:*`),
  });
}

/** The vendor's product policy as the integration role's inline policy, when it has statements. */
export function productPermissions(c: CustomerTemplateConfig) {
  return c.productPolicy.statements.length > 0 ? document(...c.productPolicy.statements) : undefined;
}
