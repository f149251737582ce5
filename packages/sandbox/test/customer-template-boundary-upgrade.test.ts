import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackEventsCommand,
  UpdateStackCommand,
} from "@aws-sdk/client-cloudformation";
import { CUSTOMER_TEMPLATE_CAPABILITIES } from "@stackfleet/core/template/customer/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { acmeCustomerTemplate, waitForStack } from "./cloudformation-helpers";
import { CUSTOMER, config, REGION } from "./helpers";

const EXTERNAL_ID = "ext-int_1";
const STACK = "Acme-integration";

/** The template as it was before the boundary was named per stack: fixed name, `Retain`. */
function fixedNameTemplate(current: string): string {
  const legacy = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(legacy);
    if (v === null || typeof v !== "object") return v;
    const sub = (v as Record<string, unknown>)["Fn::Sub"];
    if (Array.isArray(sub) && typeof sub[0] === "string" && sub[0].includes("${StackUuid}")) {
      return { "Fn::Sub": sub[0].replace("-${StackUuid}", "") };
    }
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        k === "DeletionPolicy" && x === "RetainExceptOnCreate" ? "Retain" : legacy(x),
      ]),
    );
  };
  return JSON.stringify(legacy(JSON.parse(current)));
}

describe("an installation of the fixed-name boundary template updated to the per-stack name", () => {
  let sandbox: Sandbox;
  let api: Server;
  let cfn: CloudFormationClient;
  let template: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    api = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end("{}"));
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    template = acmeCustomerTemplate(`http://127.0.0.1:${(api.address() as AddressInfo).port}/v1/registrations`);
    cfn = new CloudFormationClient(config(sandbox, CUSTOMER));
    await cfn.send(
      new CreateStackCommand({
        StackName: STACK,
        TemplateBody: fixedNameTemplate(template),
        Parameters: [{ ParameterKey: "ExternalId", ParameterValue: EXTERNAL_ID }],
        Capabilities: [...CUSTOMER_TEMPLATE_CAPABILITIES],
      }),
    );
  });

  afterAll(async () => {
    await sandbox.stop();
    await new Promise((resolve) => api.close(resolve));
  });

  // The service role cannot apply this update in AWS (the old boundary denies moving roles to the new
  // one: packages/core/test/customer-template-boundary-upgrade.test.ts); the sandbox does not authorise
  // resource-level IAM calls, so only the customer-run update, with their own credentials, is shown here.
  it("the customer's own update replaces the boundary, moves every role to it and keeps the old one", async () => {
    const installed = await waitForStack(cfn, STACK);
    expect(installed.StackStatus).toBe("CREATE_COMPLETE");
    await cfn.send(
      new UpdateStackCommand({
        StackName: STACK,
        TemplateBody: template,
        Parameters: (installed.Parameters ?? []).map((p) => ({ ParameterKey: p.ParameterKey, UsePreviousValue: true })),
        Capabilities: [...CUSTOMER_TEMPLATE_CAPABILITIES],
      }),
    );
    const updated = await waitForStack(cfn, STACK);
    expect(updated.StackStatus).toBe("UPDATE_COMPLETE");
    const events = (await cfn.send(new DescribeStackEventsCommand({ StackName: STACK }))).StackEvents ?? [];
    const boundaryEvents = events.filter((e) => e.LogicalResourceId === "VendorPermissionsBoundary");
    expect(boundaryEvents[0]?.ResourceStatus).toBe("DELETE_SKIPPED");
    const fresh = `arn:aws:iam::${CUSTOMER}:policy/Acme-boundary-${REGION}-${installed.StackId!.split("/")[2]}`;
    const policies = sandbox.roles.save().policies.map((p) => p.arn);
    expect(policies).toEqual(
      expect.arrayContaining([`arn:aws:iam::${CUSTOMER}:policy/Acme-boundary-${REGION}`, fresh]),
    );
    const roles = sandbox.roles.listRoles(CUSTOMER).filter((r) => r.roleName.startsWith("Acme-"));
    expect(roles).toHaveLength(4);
    for (const role of roles)
      expect(`${role.roleName} ${role.permissionsBoundaryArn}`).toBe(`${role.roleName} ${fresh}`);
  });
});
