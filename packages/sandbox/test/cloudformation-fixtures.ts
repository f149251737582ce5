import { CloudFormationEngine, type CloudFormationEngineOptions } from "../src/cloudformation";
import type { IamRole, ManagedPolicy, RoleStore, SandboxClock } from "../src/contract";
import { isPolicyNamed } from "../src/iam/role-store";

export const ACCOUNT = "123456789012";
export const REGION = "eu-west-1";

/** A clock the test moves by hand. */
export class TestClock implements SandboxClock {
  private ms = Date.parse("2026-11-21T10:00:00Z");
  now() {
    return new Date(this.ms);
  }
  advance(seconds: number) {
    this.ms += seconds * 1000;
  }
}

export class MemoryRoleStore implements RoleStore {
  readonly roles = new Map<string, IamRole>();
  readonly policies = new Map<string, ManagedPolicy>();
  putRole(role: IamRole) {
    this.roles.set(`${role.accountId}/${role.roleName}`, structuredClone(role));
  }
  deleteRole(accountId: string, roleName: string) {
    this.roles.delete(`${accountId}/${roleName}`);
  }
  getRole(arn: string) {
    return [...this.roles.values()].find((r) => r.arn === arn);
  }
  byName(roleName: string) {
    return this.roles.get(`${ACCOUNT}/${roleName}`);
  }
  putManagedPolicy(policy: ManagedPolicy) {
    this.policies.set(policy.arn, structuredClone(policy));
  }
  deleteManagedPolicy(arn: string) {
    this.policies.delete(arn);
  }
  getManagedPolicy(arn: string) {
    return this.policies.get(arn);
  }
  managedPolicyNamed(accountId: string, name: string) {
    return [...this.policies.values()].find((p) => isPolicyNamed(p.arn, accountId, name));
  }
}

export function setup(options: Partial<CloudFormationEngineOptions> = {}) {
  const clock = new TestClock();
  const roles = new MemoryRoleStore();
  const engine = new CloudFormationEngine({ clock, roleStore: roles, ...options });
  const status = async (stackName: string) =>
    (await engine.describeStacks(ACCOUNT, REGION, { StackName: stackName })).Stacks![0]!.StackStatus;
  const events = async (stackName: string) =>
    (await engine.describeStackEvents(ACCOUNT, REGION, { StackName: stackName })).StackEvents!;
  return { clock, roles, engine, status, events };
}

export const NAMED_IAM = ["CAPABILITY_NAMED_IAM" as const];

/** A customer integration template like the one Stackfleet ships (short-form YAML). */
export const INTEGRATION_TEMPLATE = `
AWSTemplateFormatVersion: "2010-09-09"
Description: Acme integration
Parameters:
  ExternalId:
    Type: String
    NoEcho: true
    MinLength: 2
  EnableAutoUpdate:
    Type: String
    Default: "true"
    AllowedValues: ["true", "false"]
  VendorAccountId:
    Type: String
    Default: "111111111111"
  UpdaterAccountId:
    Type: String
    Default: "222222222222"
  PermissionsBoundaryArn:
    Type: String
    Default: ""
Conditions:
  AutoUpdateEnabled: !Equals [!Ref EnableAutoUpdate, "true"]
  HasBoundary: !Not [!Equals [!Ref PermissionsBoundaryArn, ""]]
Resources:
  IntegrationRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub acme-integration-\${AWS::Region}
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub "arn:\${AWS::Partition}:iam::\${VendorAccountId}:root" }
            Action: sts:AssumeRole
            Condition: { StringEquals: { "sts:ExternalId": !Ref ExternalId } }
      ManagedPolicyArns: [!Sub "arn:\${AWS::Partition}:iam::aws:policy/SecurityAudit"]
      PermissionsBoundary: !If [HasBoundary, !Ref PermissionsBoundaryArn, !Ref AWS::NoValue]
  ServiceRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - { Effect: Allow, Principal: { Service: cloudformation.amazonaws.com }, Action: sts:AssumeRole }
      Policies:
        - PolicyName: apply
          PolicyDocument:
            Statement:
              - { Effect: Allow, Action: ["iam:*", "lambda:*"], Resource: "*" }
  UpdateRole:
    Type: AWS::IAM::Role
    Condition: AutoUpdateEnabled
    Properties:
      RoleName: acme-update
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { AWS: !Sub "arn:\${AWS::Partition}:iam::\${UpdaterAccountId}:role/acme-executor" }
            Action: sts:AssumeRole
            Condition: { StringEquals: { "sts:ExternalId": !Ref ExternalId } }
      Policies:
        - PolicyName: change-sets
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [cloudformation:CreateChangeSet, cloudformation:ExecuteChangeSet, cloudformation:DescribeStacks]
                Resource: !Sub "arn:\${AWS::Partition}:cloudformation:\${AWS::Region}:\${AWS::AccountId}:stack/acme-*"
              - { Effect: Allow, Action: iam:PassRole, Resource: !GetAtt ServiceRole.Arn }
  RegistrationFunction:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Role: !GetAtt IntegrationRole.Arn
      Code: { ZipFile: "exports.handler = async () => ({})" }
      Environment: { Variables: { API_URL: https://api.example.com } }
  Registration:
    Type: Custom::Registration
    Properties:
      ServiceToken: !GetAtt RegistrationFunction.Arn
      IntegrationRoleArn: !GetAtt IntegrationRole.Arn
      UpdateRoleArn: !If [AutoUpdateEnabled, !GetAtt UpdateRole.Arn, ""]
      Version: 1
Outputs:
  IntegrationRoleArn:
    Value: !GetAtt IntegrationRole.Arn
  UpdateRoleArn:
    Condition: AutoUpdateEnabled
    Value: !GetAtt UpdateRole.Arn
  ServiceRoleArn:
    Value: !GetAtt ServiceRole.Arn
`;

/** Creates the integration stack and lets it complete. */
export async function createIntegration(
  engine: CloudFormationEngine,
  stackName = "acme-integration",
  extra: Array<{ ParameterKey: string; ParameterValue: string }> = [],
) {
  const { StackId } = await engine.createStack(ACCOUNT, REGION, {
    StackName: stackName,
    TemplateBody: INTEGRATION_TEMPLATE,
    Capabilities: NAMED_IAM,
    Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-123" }, ...extra],
  });
  await engine.tick();
  return StackId!;
}

export const KEEP_ALL = [
  "ExternalId",
  "EnableAutoUpdate",
  "VendorAccountId",
  "UpdaterAccountId",
  "PermissionsBoundaryArn",
].map((key) => ({ ParameterKey: key, UsePreviousValue: true }));
