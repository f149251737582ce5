import type { CustomerTemplateConfig } from "./config";
import { ifCondition, ownIamArn, ref } from "./intrinsics";
import { CONDITIONS, LOGICAL } from "./logical";
import { boundaryPolicyName, roleNames } from "./names";

/**
 * The blast radius of a signed template. CloudFormation acts with the service role, so whatever a
 * vendor version declares is bounded by what that role may do, and by the permissions boundary
 * every role it creates or changes must carry. Without both, a signed template could mint an
 * unbounded role trusted by anyone: account admin.
 */

/**
 * The boundary on every role of the stack: the customer's own policy when they name one (they then
 * own its content), otherwise the vendor boundary published with the template.
 */
export const boundaryArn = () => ifCondition(CONDITIONS.boundary, ref("PermissionsBoundaryArn"), ref(LOGICAL.boundary));

const roleArn = (name: string) => ownIamArn(`role/${name}`);

/** The last segment of `arn:…:stack/<name>/<uuid>`: different for every stack CloudFormation creates. */
const STACK_UUID = { "Fn::Select": [2, { "Fn::Split": ["/", ref("AWS::StackId")] }] };

/** `Fn::Sub` over text naming `${StackUuid}` (and any pseudo parameter). */
const subWithStackUuid = (text: string) => ({ "Fn::Sub": [text, { StackUuid: STACK_UUID }] });

/** The vendor boundary's ARN spelled from its name, for the statements inside its own document. */
export const vendorBoundarySelfArn = (c: CustomerTemplateConfig) =>
  subWithStackUuid(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/${boundaryPolicyName(c.stackPrefix)}`);

/** The roles the service role must never change: the update role and itself. */
export const protectedRoleArns = (c: CustomerTemplateConfig) => {
  const names = roleNames(c.stackPrefix);
  return [roleArn(names.update), roleArn(names.service)];
};

/** The only role the template passes to a service: the registration function's, to Lambda. */
export const passedRoleArn = (c: CustomerTemplateConfig) => roleArn(roleNames(c.stackPrefix).registration);

// Reading is harmless; deleting only takes vendor access away, and CloudFormation must be able to
// delete the update role when the customer opts out and the service role when the stack goes.
const PROTECTED_ROLE_ALLOWED = [
  "iam:Get*",
  "iam:List*",
  "iam:DeleteRole",
  "iam:DeleteRolePolicy",
  "iam:DetachRolePolicy",
];

/** The IAM writes whose request carries `iam:PermissionsBoundary` (the role's, or the one requested). */
export const BOUNDED_ROLE_WRITES = [
  "iam:CreateRole",
  "iam:PutRolePermissionsBoundary",
  "iam:PutRolePolicy",
  "iam:DeleteRolePolicy",
  "iam:AttachRolePolicy",
  "iam:DetachRolePolicy",
];

/**
 * Explicit denies in the service role's policy and in the vendor boundary, so neither the role nor
 * any role it creates can step around them. `boundary`: the ARN roles must carry (the vendor
 * boundary names itself by ARN, not `Ref`). The service role's own allows are conditioned on the
 * boundary already; the boundary, which allows `iam:*` on `<prefix>-*`, denies unbounded changes
 * and lets the update role (bounded too) pass the service role to CloudFormation.
 */
export function guardStatements(c: CustomerTemplateConfig, boundary: unknown, inBoundary: boolean) {
  const guards: Array<Record<string, unknown>> = [
    {
      Sid: "DenyChangingTheUpdateAndServiceRoles",
      Effect: "Deny",
      NotAction: inBoundary ? [...PROTECTED_ROLE_ALLOWED, "iam:PassRole"] : PROTECTED_ROLE_ALLOWED,
      Resource: protectedRoleArns(c),
    },
    { Sid: "DenyChangingTheBoundary", Effect: "Deny", NotAction: ["iam:Get*", "iam:List*"], Resource: boundary },
    { Sid: "DenyRemovingBoundaries", Effect: "Deny", Action: "iam:Delete*PermissionsBoundary", Resource: "*" },
  ];
  if (!inBoundary) return guards;
  // An absent key (no boundary requested) is "not equal": the deny applies.
  const condition = { StringNotEquals: { "iam:PermissionsBoundary": boundary } };
  return [
    ...guards,
    {
      Sid: "DenyRolesOutsideTheBoundary",
      Effect: "Deny",
      Action: BOUNDED_ROLE_WRITES,
      Resource: "*",
      Condition: condition,
    },
  ];
}

// Identity and account control stay out of reach of every bounded role, whatever policy it holds.
const IDENTITY_SERVICES = ["iam:*", "sts:*", "organizations:*", "account:*", "sso:*", "identitystore:*"];

/**
 * The vendor boundary: the most any role of this stack can do. Everything except identity and
 * account control; reading IAM (audit products need it); IAM writes only on `<prefix>-*` roles
 * and policies (what the service role needs); plus the guards. The service role cannot change this
 * document: a wider boundary is an update the customer runs themselves.
 */
export function vendorBoundary(c: CustomerTemplateConfig) {
  const p = c.stackPrefix;
  const self = vendorBoundarySelfArn(c);
  return {
    Version: "2012-10-17",
    Statement: [
      { Sid: "AllowAllButIdentity", Effect: "Allow", NotAction: IDENTITY_SERVICES, Resource: "*" },
      {
        Sid: "ReadIdentity",
        Effect: "Allow",
        Action: [
          "iam:Get*",
          "iam:List*",
          "iam:Generate*",
          "iam:Simulate*",
          "organizations:Describe*",
          "organizations:List*",
        ],
        Resource: "*",
      },
      {
        Sid: "ManagePrefixedIdentity",
        Effect: "Allow",
        Action: "iam:*",
        Resource: [ownIamArn(`role/${p}-*`), ownIamArn(`policy/${p}-*`)],
      },
      ...guardStatements(c, self, true),
    ],
  };
}

/**
 * The boundary policy resource. Stack deletion and replacement retain it: the service role may not
 * delete it. `RetainExceptOnCreate` lets the rollback of the operation that created it (a failed
 * first create, run with the customer's own credentials) delete it, so nothing is left behind when
 * the stack never came up.
 */
export function vendorBoundaryResource(c: CustomerTemplateConfig) {
  return {
    Type: "AWS::IAM::ManagedPolicy",
    Condition: CONDITIONS.vendorBoundary,
    DeletionPolicy: "RetainExceptOnCreate",
    UpdateReplacePolicy: "Retain",
    Properties: {
      ManagedPolicyName: subWithStackUuid(boundaryPolicyName(c.stackPrefix)),
      Description: `The most any role of the ${c.vendorName} integration may do; its roles cannot change it.`,
      PolicyDocument: vendorBoundary(c),
    },
  };
}
