import {
  type CloudFormationClient,
  DescribeChangeSetCommand,
  type DescribeChangeSetCommandOutput,
  DescribeStacksCommand,
  type Stack,
} from "@aws-sdk/client-cloudformation";
import { renderCustomerTemplate } from "@stackfleet/core/template/customer/index";
import { UPDATER, VENDOR } from "./helpers";

export const EXECUTOR_ROLE = `arn:aws:iam::${UPDATER}:role/stackfleet-executor`;

/** A cut-down customer integration template: the update role exists only while auto-update is on. */
export function customerTemplate(options: { description?: string; prefix?: string } = {}): string {
  const prefix = options.prefix ?? "Acme";
  return JSON.stringify({
    AWSTemplateFormatVersion: "2010-09-09",
    Description: options.description ?? "Acme integration",
    Parameters: {
      ExternalId: { Type: "String" },
      EnableAutoUpdate: { Type: "String", Default: "true", AllowedValues: ["true", "false"] },
      Note: { Type: "String", Default: "default-note" },
    },
    Conditions: { AutoUpdate: { "Fn::Equals": [{ Ref: "EnableAutoUpdate" }, "true"] } },
    Resources: {
      UpdateRole: {
        Type: "AWS::IAM::Role",
        Condition: "AutoUpdate",
        Properties: {
          RoleName: { "Fn::Sub": `${prefix}-Update-\${AWS::StackName}` },
          AssumeRolePolicyDocument: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Principal: { AWS: EXECUTOR_ROLE },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "sts:ExternalId": { Ref: "ExternalId" } } },
              },
            ],
          },
          Policies: [
            {
              PolicyName: "update-own-stacks",
              PolicyDocument: {
                Version: "2012-10-17",
                Statement: [
                  {
                    Effect: "Allow",
                    Action: "cloudformation:*",
                    Resource: `arn:aws:cloudformation:*:*:stack/${prefix}-*/*`,
                  },
                ],
              },
            },
          ],
        },
      },
      Marker: { Type: "AWS::SSM::Parameter", Properties: { Type: "String", Value: { Ref: "Note" } } },
    },
    Outputs: {
      UpdateRoleArn: { Condition: "AutoUpdate", Value: { "Fn::GetAtt": ["UpdateRole", "Arn"] } },
      Note: { Value: { Ref: "Note" } },
    },
  });
}

const IN_PROGRESS = /_IN_PROGRESS$/;

/** Polls DescribeStacks (which is also what moves the engine on) until the stack settles. */
export async function waitForStack(cfn: CloudFormationClient, stackName: string): Promise<Stack> {
  for (let i = 0; i < 200; i++) {
    const stack = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks?.[0];
    if (stack && !IN_PROGRESS.test(stack.StackStatus ?? "")) return stack;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${stackName} never settled`);
}

export async function waitForChangeSet(
  cfn: CloudFormationClient,
  stackName: string,
  changeSetName: string,
): Promise<DescribeChangeSetCommandOutput> {
  for (let i = 0; i < 200; i++) {
    const out = await cfn.send(new DescribeChangeSetCommand({ StackName: stackName, ChangeSetName: changeSetName }));
    if (out.Status !== "CREATE_PENDING" && out.Status !== "CREATE_IN_PROGRESS") return out;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`${changeSetName} never settled`);
}

export function outputOf(stack: Stack, key: string): string | undefined {
  return stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
}

export function parameterOf(stack: Stack, key: string): string | undefined {
  return stack.Parameters?.find((p) => p.ParameterKey === key)?.ParameterValue;
}

/** The real customer template (core's renderer) for the Acme test vendor, registering with `callbackUrl`. */
export function acmeCustomerTemplate(callbackUrl: string): string {
  return renderCustomerTemplate(
    {
      vendorName: "Acme Security",
      product: "audit",
      stackPrefix: "Acme",
      vendorAccountId: VENDOR,
      updaterAccountId: UPDATER,
      executorRoleName: "stackfleet-executor",
      callbackUrl,
      allowInsecureCallback: true,
      productPolicy: { managedPolicyArns: ["arn:aws:iam::aws:policy/SecurityAudit"] },
      templateVersion: "1.0.0",
    },
    "json",
  );
}
