import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
} from "@aws-sdk/client-cloudformation";
import { CUSTOMER_TEMPLATE_CAPABILITIES } from "@stackfleet/core/template/customer/index";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { acmeCustomerTemplate, waitForStack } from "./cloudformation-helpers";
import { CUSTOMER, config, REGION } from "./helpers";

/**
 * The vendor permissions boundary outlives its stack (the service role may not delete it). With a
 * fixed name, a customer could neither retry a create that rolled back nor reinstall after an
 * uninstall in the same account and Region: "A policy called … already exists". Real customer
 * template, real registration function, a vendor API that refuses on demand.
 */
describe("the customer template installed again in the same account and Region", () => {
  let sandbox: Sandbox;
  let api: Server;
  let refuse = false;
  let cfn: CloudFormationClient;
  let template: string;
  const STACK = "Acme-integration";

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0 });
    api = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const [status, body] = refuse
          ? [409, { error: { code: "integration_busy", message: "try again" } }]
          : [200, { integrationId: "int_1" }];
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    template = acmeCustomerTemplate(`http://127.0.0.1:${(api.address() as AddressInfo).port}/v1/registrations`);
    cfn = new CloudFormationClient(config(sandbox, CUSTOMER));
  });

  afterAll(async () => {
    await sandbox.stop();
    await new Promise((resolve) => api.close(resolve));
  });

  const create = async () => {
    await cfn.send(
      new CreateStackCommand({
        StackName: STACK,
        TemplateBody: template,
        Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-int_1" }],
        Capabilities: [...CUSTOMER_TEMPLATE_CAPABILITIES],
      }),
    );
    return waitForStack(cfn, STACK);
  };
  const remove = async (stackId: string) => {
    await cfn.send(new DeleteStackCommand({ StackName: STACK }));
    await waitForStack(cfn, stackId);
  };
  const boundaries = () =>
    sandbox.roles
      .save()
      .policies.map((p) => p.arn)
      .filter((arn) => arn.startsWith(`arn:aws:iam::${CUSTOMER}:policy/Acme-boundary-${REGION}-`));
  const failure = async (stackId: string) =>
    (await cfn.send(new DescribeStackEventsCommand({ StackName: stackId }))).StackEvents?.find((e) =>
      e.ResourceStatus?.endsWith("_FAILED"),
    )?.ResourceStatusReason;

  it("retries a create that rolled back: delete the failed stack, create again from the same template", async () => {
    refuse = true;
    const failed = await create();
    expect(failed.StackStatus).toBe("ROLLBACK_COMPLETE");
    // The rollback (the customer's own credentials, no service role yet) deleted the boundary it made.
    expect(boundaries()).toEqual([]);
    await remove(failed.StackId!);

    refuse = false;
    const retried = await create();
    expect(`${retried.StackStatus} ${await failure(retried.StackId!)}`).toBe("CREATE_COMPLETE undefined");
    expect(boundaries()).toEqual([
      `arn:aws:iam::${CUSTOMER}:policy/Acme-boundary-${REGION}-${retried.StackId!.split("/")[2]}`,
    ]);
  });

  it("reinstalls after an uninstall; the uninstalled stack's boundary stays, orphaned and unused", async () => {
    const first = await waitForStack(cfn, STACK);
    expect(first.StackStatus).toBe("CREATE_COMPLETE");
    await remove(first.StackId!);
    const left = boundaries();
    expect(left).toHaveLength(1);

    const again = await create();
    expect(`${again.StackStatus} ${await failure(again.StackId!)}`).toBe("CREATE_COMPLETE undefined");
    const now = boundaries();
    expect(now).toHaveLength(2);
    const current = now.find((arn) => !left.includes(arn))!;
    expect(current.endsWith(again.StackId!.split("/")[2]!)).toBe(true);
    // Every role of the new stack is bounded by the new stack's boundary, none by the orphan.
    const bounded = sandbox.roles.listRoles(CUSTOMER).filter((r) => r.roleName.startsWith("Acme-"));
    expect(bounded.length).toBeGreaterThan(0);
    for (const role of bounded)
      expect(`${role.roleName} ${role.permissionsBoundaryArn}`).toBe(`${role.roleName} ${current}`);
  });
});
