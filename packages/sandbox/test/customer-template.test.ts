import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DescribeStacksCommand,
} from "@aws-sdk/client-cloudformation";
import { CUSTOMER_TEMPLATE_CAPABILITIES } from "@stackfleet/core/template/customer/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { acmeCustomerTemplate, outputOf, waitForChangeSet, waitForStack } from "./cloudformation-helpers";
import { assume, CUSTOMER, config, failure, policy, putRole, UPDATER } from "./helpers";

const EXTERNAL_ID = "ext-int_01JCUSTOMER";
const EXECUTOR = `arn:aws:iam::${UPDATER}:role/stackfleet-executor`;

/**
 * Stackfleet's real customer template, installed in the sandbox as a customer would: the
 * registration function runs from its inline source and calls back a local "vendor API", and the
 * update role it creates behaves as the executor relies on.
 */
describe("the customer template in the sandbox", () => {
  let sandbox: Sandbox;
  let api: Server;
  const registrations: Array<Record<string, unknown>> = [];
  let stackName: string;
  let cfn: CloudFormationClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    api = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        registrations.push(JSON.parse(body));
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    putRole(
      sandbox,
      UPDATER,
      "stackfleet-executor",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }),
      {
        assume: policy({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::*:role/Acme-*" }),
      },
    );

    const template = acmeCustomerTemplate(`http://127.0.0.1:${(api.address() as AddressInfo).port}/v1/registrations`);
    stackName = "Acme-integration";
    cfn = new CloudFormationClient(config(sandbox, CUSTOMER));
    await cfn.send(
      new CreateStackCommand({
        StackName: stackName,
        TemplateBody: template,
        Parameters: [{ ParameterKey: "ExternalId", ParameterValue: EXTERNAL_ID }],
        Capabilities: [...CUSTOMER_TEMPLATE_CAPABILITIES],
      }),
    );
  });

  afterAll(async () => {
    await sandbox.stop();
    await new Promise((resolve) => api.close(resolve));
  });

  it("creates the stack and registers it with the vendor through the inline function", async () => {
    const stack = await waitForStack(cfn, stackName);

    expect(stack.StackStatus).toBe("CREATE_COMPLETE");
    expect(registrations).toEqual([
      expect.objectContaining({
        requestType: "Create",
        externalId: EXTERNAL_ID,
        accountId: CUSTOMER,
        enableAutoUpdate: true,
        updateRoleArn: outputOf(stack, "UpdateRoleArn"),
      }),
    ]);
  });

  it("the update role admits the executor with the ExternalId only, and only for change sets on Acme-* stacks", async () => {
    const stack = await waitForStack(cfn, stackName);
    const updateRole = outputOf(stack, "UpdateRoleArn")!;
    const executor = await assume(sandbox, UPDATER, EXECUTOR);

    expect((await failure(() => assume(sandbox, executor, updateRole))).name).toBe("AccessDenied");
    const session = await assume(sandbox, executor, updateRole, {
      ExternalId: EXTERNAL_ID,
      RoleSessionName: "run_01J",
    });
    const asUpdater = new CloudFormationClient(config(sandbox, session));

    await asUpdater.send(new DescribeStacksCommand({ StackName: stackName }));
    const body = (await cfn.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks![0]!;
    await asUpdater.send(
      new CreateChangeSetCommand({
        StackName: stackName,
        ChangeSetName: "v1-0-0-again",
        UsePreviousTemplate: true,
        RoleARN: outputOf(body, "CloudFormationServiceRoleArn"),
        Parameters: (body.Parameters ?? []).map((p) => ({ ParameterKey: p.ParameterKey, UsePreviousValue: true })),
        Capabilities: [...CUSTOMER_TEMPLATE_CAPABILITIES],
      }),
    );
    const changeSet = await waitForChangeSet(asUpdater, stackName, "v1-0-0-again");
    expect(changeSet.Status).toBe("FAILED");
    expect(changeSet.StatusReason).toContain("didn't contain changes");

    await cfn.send(
      new CreateStackCommand({
        StackName: "Payroll",
        TemplateBody: JSON.stringify({
          Resources: { P: { Type: "AWS::SSM::Parameter", Properties: { Type: "String", Value: "x" } } },
        }),
      }),
    );
    expect((await failure(() => asUpdater.send(new DescribeStacksCommand({ StackName: "Payroll" })))).name).toBe(
      "AccessDenied",
    );
  });

  it("the customer's console turns auto-update off: a real update, Update callback, update role gone", async () => {
    const before = await waitForStack(cfn, stackName);
    const updateRole = outputOf(before, "UpdateRoleArn")!;

    const response = await fetch(`${sandbox.endpoint}/_sandbox/stacks/parameters`, {
      method: "POST",
      body: JSON.stringify({ account: CUSTOMER, stackName, parameters: { EnableAutoUpdate: "false" } }),
    });
    const body = (await response.json()) as { status: string; parameters: Record<string, string> };
    const after = await waitForStack(cfn, stackName);

    expect(response.status).toBe(200);
    expect(body.parameters).toMatchObject({ EnableAutoUpdate: "false", ExternalId: EXTERNAL_ID });
    expect(after.StackStatus).toBe("UPDATE_COMPLETE");
    expect(outputOf(after, "UpdateRoleArn")).toBeUndefined();
    expect(sandbox.roles.getRole(updateRole)).toBeUndefined();
    expect(registrations.at(-1)).toEqual(
      expect.objectContaining({ requestType: "Update", externalId: EXTERNAL_ID, enableAutoUpdate: false }),
    );
  });
});
