import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CloudFormationClient, CreateStackCommand, DeleteStackCommand } from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { outputOf, waitForStack } from "./cloudformation-helpers";
import { CUSTOMER, config } from "./helpers";

/** The shape of Stackfleet's registration resource: an inline function that posts to the API and answers. */
function registrationTemplate(code: string): string {
  return JSON.stringify({
    Parameters: { ApiUrl: { Type: "String" } },
    Resources: {
      RegistrationFunction: {
        Type: "AWS::Lambda::Function",
        Properties: {
          Runtime: "nodejs20.x",
          Handler: "index.handler",
          Role: `arn:aws:iam::${CUSTOMER}:role/registration`,
          Environment: { Variables: { API_URL: { Ref: "ApiUrl" } } },
          Code: { ZipFile: code },
        },
      },
      Registration: {
        Type: "Custom::Registration",
        Properties: { ServiceToken: { "Fn::GetAtt": ["RegistrationFunction", "Arn"] }, IntegrationId: "int_01J" },
      },
    },
    Outputs: { Registered: { Value: { "Fn::GetAtt": ["Registration", "RegistrationId"] } } },
  });
}

const FETCH_CODE = `
exports.handler = async (event) => {
  const registration = await fetch(process.env.API_URL, {
    method: "POST",
    body: JSON.stringify({ type: event.RequestType, integrationId: event.ResourceProperties.IntegrationId }),
  }).then((r) => r.json());
  await fetch(event.ResponseURL, {
    method: "PUT",
    body: JSON.stringify({
      Status: "SUCCESS",
      PhysicalResourceId: "registration-" + event.ResourceProperties.IntegrationId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      Data: { RegistrationId: registration.id },
    }),
  });
};
`;

const CFN_RESPONSE_CODE = `
const response = require("cfn-response");
exports.handler = (event, context) => {
  const ok = event.ResourceProperties.IntegrationId === "int_01J";
  response.send(event, context, ok ? response.SUCCESS : response.FAILED, { RegistrationId: "via-cfn-response" });
};
`;

describe("custom resources run the template's inline Lambda by default", () => {
  let sandbox: Sandbox;
  let api: Server;
  let apiUrl: string;
  const calls: Array<{ type: string; integrationId: string }> = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    api = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        calls.push(JSON.parse(body));
        res.end(JSON.stringify({ id: `reg-${calls.length}` }));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}/register`;
  });

  afterAll(async () => {
    await sandbox.stop();
    await new Promise((resolve) => api.close(resolve));
  });

  it("runs Code.ZipFile with the stack's environment, and its answer's Data becomes GetAtt values", async () => {
    const cfn = new CloudFormationClient(config(sandbox, CUSTOMER));

    await cfn.send(
      new CreateStackCommand({
        StackName: "Acme-Registration",
        TemplateBody: registrationTemplate(FETCH_CODE),
        Parameters: [{ ParameterKey: "ApiUrl", ParameterValue: apiUrl }],
      }),
    );
    const stack = await waitForStack(cfn, "Acme-Registration");

    expect(stack.StackStatus).toBe("CREATE_COMPLETE");
    expect(calls).toEqual([{ type: "Create", integrationId: "int_01J" }]);
    expect(outputOf(stack, "Registered")).toBe("reg-1");

    await cfn.send(new DeleteStackCommand({ StackName: "Acme-Registration" }));
    await waitForStack(cfn, stack.StackId!);
    expect(calls.at(-1)).toEqual({ type: "Delete", integrationId: "int_01J" });
  });

  it("provides the cfn-response module inline functions use", async () => {
    const cfn = new CloudFormationClient(config(sandbox, CUSTOMER));

    await cfn.send(
      new CreateStackCommand({
        StackName: "Acme-CfnResponse",
        TemplateBody: registrationTemplate(CFN_RESPONSE_CODE),
        Parameters: [{ ParameterKey: "ApiUrl", ParameterValue: apiUrl }],
      }),
    );
    const stack = await waitForStack(cfn, "Acme-CfnResponse");

    expect(stack.StackStatus).toBe("CREATE_COMPLETE");
    expect(outputOf(stack, "Registered")).toBe("via-cfn-response");
  });

  it("a function that throws without answering fails the resource and the stack rolls back", async () => {
    const cfn = new CloudFormationClient(config(sandbox, CUSTOMER));

    await cfn.send(
      new CreateStackCommand({
        StackName: "Acme-Throws",
        TemplateBody: registrationTemplate(
          `exports.handler = async () => { throw new Error("registration refused"); };`,
        ),
        Parameters: [{ ParameterKey: "ApiUrl", ParameterValue: apiUrl }],
      }),
    );
    const stack = await waitForStack(cfn, "Acme-Throws");

    expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");
  });
});
