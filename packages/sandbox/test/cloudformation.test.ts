import {
  CloudFormationClient,
  CreateChangeSetCommand,
  CreateStackCommand,
  DeleteChangeSetCommand,
  DeleteStackCommand,
  DescribeChangeSetCommand,
  DescribeStackEventsCommand,
  DescribeStacksCommand,
  ExecuteChangeSetCommand,
  GetTemplateCommand,
  type Parameter,
  UpdateStackCommand,
} from "@aws-sdk/client-cloudformation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import {
  customerTemplate,
  EXECUTOR_ROLE,
  outputOf,
  parameterOf,
  waitForChangeSet,
  waitForStack,
} from "./cloudformation-helpers";
import { assume, CUSTOMER, config, failure, policy, putRole, UPDATER } from "./helpers";

const EXTERNAL_ID = "ext-int_01JSANDBOX";

describe("sandbox CloudFormation through the SDK", () => {
  let sandbox: Sandbox;
  let customer: CloudFormationClient;

  async function createStack(name: string, parameters: Parameter[] = [], template = customerTemplate()) {
    await customer.send(
      new CreateStackCommand({
        StackName: name,
        TemplateBody: template,
        Parameters: [{ ParameterKey: "ExternalId", ParameterValue: EXTERNAL_ID }, ...parameters],
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    return waitForStack(customer, name);
  }

  /** The executor's view: its own session, then the customer's update role with the ExternalId. */
  async function asUpdateRole(roleArn: string) {
    const executor = await assume(sandbox, UPDATER, EXECUTOR_ROLE, { RoleSessionName: "executor" });
    const session = await assume(sandbox, executor, roleArn, { ExternalId: EXTERNAL_ID, RoleSessionName: "run_01J" });
    return { session, cfn: new CloudFormationClient(config(sandbox, session)) };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
    customer = new CloudFormationClient(config(sandbox, CUSTOMER));
    putRole(
      sandbox,
      UPDATER,
      "stackfleet-executor",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }),
      {
        assume: policy({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::*:role/Acme-*" }),
      },
    );
  });

  afterAll(() => sandbox.stop());

  it("a stack's IAM role is assumable with the ExternalId its template demands, and not without", async () => {
    const stack = await createStack("Acme-Trust");
    const roleArn = outputOf(stack, "UpdateRoleArn")!;
    const executor = await assume(sandbox, UPDATER, EXECUTOR_ROLE);

    await expect(assume(sandbox, executor, roleArn, { ExternalId: EXTERNAL_ID })).resolves.toBeDefined();
    expect((await failure(() => assume(sandbox, executor, roleArn))).name).toBe("AccessDenied");
    expect((await failure(() => assume(sandbox, executor, roleArn, { ExternalId: "ext-wrong" }))).name).toBe(
      "AccessDenied",
    );
  });

  it("a prefix-scoped role can change Acme-* stacks and gets AccessDenied on any other stack", async () => {
    const own = await createStack("Acme-Integration");
    await createStack("Billing-Prod", [], customerTemplate({ prefix: "Billing" }));
    const { cfn } = await asUpdateRole(outputOf(own, "UpdateRoleArn")!);

    await cfn.send(new DescribeStacksCommand({ StackName: "Acme-Integration" }));
    await cfn.send(
      new CreateChangeSetCommand({
        StackName: "Acme-Integration",
        ChangeSetName: "v2",
        TemplateBody: customerTemplate({ description: "Acme integration v2" }),
        Parameters: ["ExternalId", "EnableAutoUpdate", "Note"].map((ParameterKey) => ({
          ParameterKey,
          UsePreviousValue: true,
        })),
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );

    for (const call of [
      () => cfn.send(new DescribeStacksCommand({ StackName: "Billing-Prod" })),
      () => cfn.send(new DescribeStacksCommand({})),
      () =>
        cfn.send(
          new UpdateStackCommand({
            StackName: "Billing-Prod",
            UsePreviousTemplate: true,
            Capabilities: ["CAPABILITY_NAMED_IAM"],
          }),
        ),
      () => cfn.send(new DeleteStackCommand({ StackName: "Billing-Prod" })),
    ]) {
      const error = await failure(call);
      expect(error.name).toBe("AccessDenied");
      expect(error.$metadata?.httpStatusCode).toBe(403);
      expect(error.message).toContain(`is not authorized to perform: cloudformation:`);
      expect(error.message).toContain(`stack/Billing-Prod/`);
    }
  });

  it("a change set without changes comes back FAILED / UNAVAILABLE with AWS's reason; UpdateStack says No updates", async () => {
    await createStack("Acme-NoChange");

    await customer.send(
      new CreateChangeSetCommand({
        StackName: "Acme-NoChange",
        ChangeSetName: "same",
        TemplateBody: customerTemplate(),
        Parameters: ["ExternalId", "EnableAutoUpdate", "Note"].map((ParameterKey) => ({
          ParameterKey,
          UsePreviousValue: true,
        })),
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    const changeSet = await waitForChangeSet(customer, "Acme-NoChange", "same");

    expect(changeSet.Status).toBe("FAILED");
    expect(changeSet.ExecutionStatus).toBe("UNAVAILABLE");
    expect(changeSet.StatusReason).toContain("The submitted information didn't contain changes");
    const noUpdate = await failure(() =>
      customer.send(
        new UpdateStackCommand({
          StackName: "Acme-NoChange",
          UsePreviousTemplate: true,
          Parameters: ["ExternalId", "EnableAutoUpdate", "Note"].map((ParameterKey) => ({
            ParameterKey,
            UsePreviousValue: true,
          })),
          Capabilities: ["CAPABILITY_NAMED_IAM"],
        }),
      ),
    );
    expect(noUpdate.name).toBe("ValidationError");
    expect(noUpdate.message).toBe("No updates are to be performed.");
  });

  it("a change set previews, executes with its token on every event, and the new template is served back", async () => {
    await createStack("Acme-Flow");
    const template = customerTemplate({ description: "v2" });
    await customer.send(
      new CreateChangeSetCommand({
        StackName: "Acme-Flow",
        ChangeSetName: "v2",
        TemplateBody: template,
        Parameters: [
          { ParameterKey: "ExternalId", UsePreviousValue: true },
          { ParameterKey: "EnableAutoUpdate", UsePreviousValue: true },
          { ParameterKey: "Note", ParameterValue: "changed" },
        ],
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    const preview = await waitForChangeSet(customer, "Acme-Flow", "v2");
    expect(preview.Status).toBe("CREATE_COMPLETE");
    expect(preview.Changes?.map((c) => [c.ResourceChange?.Action, c.ResourceChange?.LogicalResourceId])).toEqual([
      ["Modify", "Marker"],
    ]);

    await customer.send(
      new ExecuteChangeSetCommand({
        StackName: "Acme-Flow",
        ChangeSetName: "v2",
        ClientRequestToken: "run_01J-attempt-1",
      }),
    );
    const stack = await waitForStack(customer, "Acme-Flow");

    expect(stack.StackStatus).toBe("UPDATE_COMPLETE");
    expect(parameterOf(stack, "Note")).toBe("changed");
    const events = (await customer.send(new DescribeStackEventsCommand({ StackName: "Acme-Flow" }))).StackEvents ?? [];
    const mine = events.filter((e) => e.ClientRequestToken === "run_01J-attempt-1");
    expect(mine.at(0)).toMatchObject({ LogicalResourceId: "Acme-Flow", ResourceStatus: "UPDATE_COMPLETE" });
    expect(mine.at(0)?.Timestamp).toBeInstanceOf(Date);
    expect((await customer.send(new GetTemplateCommand({ StackName: "Acme-Flow" }))).TemplateBody).toBe(template);
    expect(
      (await customer.send(new DescribeChangeSetCommand({ StackName: "Acme-Flow", ChangeSetName: "v2" })))
        .ExecutionStatus,
    ).toBe("EXECUTE_COMPLETE");
    await customer.send(new DeleteChangeSetCommand({ StackName: "Acme-Flow", ChangeSetName: "v2" }));
    expect(
      (
        await failure(() =>
          customer.send(new DescribeChangeSetCommand({ StackName: "Acme-Flow", ChangeSetName: "v2" })),
        )
      ).name,
    ).toBe("ChangeSetNotFoundException");
  });

  it("an update that omits a parameter resets it to its default; UsePreviousValue keeps it", async () => {
    await createStack("Acme-Params", [{ ParameterKey: "Note", ParameterValue: "customer-note" }]);

    await customer.send(
      new UpdateStackCommand({
        StackName: "Acme-Params",
        TemplateBody: customerTemplate({ description: "v2" }),
        Parameters: [
          { ParameterKey: "ExternalId", UsePreviousValue: true },
          { ParameterKey: "Note", UsePreviousValue: true },
        ],
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    const kept = await waitForStack(customer, "Acme-Params");
    expect(kept.StackStatus).toBe("UPDATE_COMPLETE");
    expect(parameterOf(kept, "Note")).toBe("customer-note");

    await customer.send(
      new UpdateStackCommand({
        StackName: "Acme-Params",
        TemplateBody: customerTemplate({ description: "v3" }),
        Parameters: [{ ParameterKey: "ExternalId", UsePreviousValue: true }],
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    const reset = await waitForStack(customer, "Acme-Params");
    expect(parameterOf(reset, "Note")).toBe("default-note");
  });

  it("a stack in ROLLBACK_COMPLETE refuses updates", async () => {
    const failing = JSON.stringify({
      Resources: {
        Broken: {
          Type: "Custom::Broken",
          Properties: { ServiceToken: "arn:aws:lambda:us-east-1:333333333333:function:nowhere" },
        },
      },
    });
    await customer.send(new CreateStackCommand({ StackName: "Acme-Broken", TemplateBody: failing }));
    const stack = await waitForStack(customer, "Acme-Broken");
    expect(stack.StackStatus).toBe("ROLLBACK_COMPLETE");

    const error = await failure(() =>
      customer.send(new UpdateStackCommand({ StackName: "Acme-Broken", UsePreviousTemplate: true })),
    );
    expect(error.name).toBe("ValidationError");
    expect(error.message).toContain("is in ROLLBACK_COMPLETE state and can not be updated");
  });

  it("deleting the stack deletes its role: AssumeRole and the role's live sessions are denied", async () => {
    const stack = await createStack("Acme-Doomed");
    const roleArn = outputOf(stack, "UpdateRoleArn")!;
    const { cfn } = await asUpdateRole(roleArn);
    await cfn.send(new DescribeStacksCommand({ StackName: "Acme-Doomed" }));

    await customer.send(new DeleteStackCommand({ StackName: "Acme-Doomed" }));
    await waitForStack(customer, stack.StackId!);

    expect((await failure(() => asUpdateRole(roleArn))).name).toBe("AccessDenied");
    expect((await failure(() => cfn.send(new DescribeStacksCommand({ StackName: "Acme-Integration" })))).name).toBe(
      "AccessDenied",
    );
  });

  it("turning EnableAutoUpdate off removes the update role (the opt-out is enforced by IAM)", async () => {
    const stack = await createStack("Acme-OptOut");
    const roleArn = outputOf(stack, "UpdateRoleArn")!;

    await customer.send(
      new UpdateStackCommand({
        StackName: "Acme-OptOut",
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: "ExternalId", UsePreviousValue: true },
          { ParameterKey: "EnableAutoUpdate", ParameterValue: "false" },
        ],
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    await waitForStack(customer, "Acme-OptOut");

    expect((await failure(() => asUpdateRole(roleArn))).name).toBe("AccessDenied");
  });

  it("the fail-next-update switch makes the next update roll back", async () => {
    await createStack("Acme-Faulty");
    sandbox.control.failNextUpdate(CUSTOMER, "Acme-Faulty", { reason: "injected" });

    await customer.send(
      new UpdateStackCommand({
        StackName: "Acme-Faulty",
        TemplateBody: customerTemplate({ description: "v2" }),
        Parameters: ["ExternalId", "EnableAutoUpdate", "Note"].map((ParameterKey) => ({
          ParameterKey,
          UsePreviousValue: true,
        })),
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );

    expect((await waitForStack(customer, "Acme-Faulty")).StackStatus).toBe("UPDATE_ROLLBACK_COMPLETE");
  });

  it("CloudFormation calls can be throttled with AWS's Rate exceeded", async () => {
    sandbox.control.throttleNext(1, "cloudformation");

    const error = await failure(() => customer.send(new DescribeStacksCommand({ StackName: "Acme-Trust" })));
    expect(error.name).toBe("Throttling");
    expect(error.message).toBe("Rate exceeded");
  });
});
