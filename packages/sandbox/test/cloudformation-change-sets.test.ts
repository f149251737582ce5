import { describe, expect, it } from "vitest";
import {
  ACCOUNT,
  createIntegration,
  INTEGRATION_TEMPLATE,
  KEEP_ALL,
  NAMED_IAM,
  REGION,
  setup,
} from "./cloudformation-fixtures";

const withParameter = (key: string, value: string) => [
  ...KEEP_ALL.filter((p) => p.ParameterKey !== key),
  { ParameterKey: key, ParameterValue: value },
];

describe("CloudFormation engine: change sets", () => {
  it("ends a change set without changes FAILED/UNAVAILABLE with AWS's reason", async () => {
    const { engine } = setup();
    await createIntegration(engine);
    const { Id } = await engine.createChangeSet(ACCOUNT, REGION, {
      StackName: "acme-integration",
      ChangeSetName: "noop",
      UsePreviousTemplate: true,
      Capabilities: NAMED_IAM,
      Parameters: KEEP_ALL,
    });
    await engine.tick();

    const described = await engine.describeChangeSet(ACCOUNT, REGION, {
      ChangeSetName: "noop",
      StackName: "acme-integration",
    });
    expect(described).toMatchObject({
      ChangeSetId: Id,
      ChangeSetName: "noop",
      Status: "FAILED",
      ExecutionStatus: "UNAVAILABLE",
      StatusReason:
        "The submitted information didn't contain changes. Submit different information to create a change set.",
      Changes: [],
    });
    await expect(engine.executeChangeSet(ACCOUNT, REGION, { ChangeSetName: Id })).rejects.toMatchObject({
      code: "InvalidChangeSetStatus",
    });
  });

  it("previews turning auto-update off: Remove the update role, Modify the registration from the parameter", async () => {
    const { engine, roles } = setup();
    await createIntegration(engine);
    const updateRole = roles.byName("acme-update")!;
    await engine.createChangeSet(ACCOUNT, REGION, {
      StackName: "acme-integration",
      ChangeSetName: "opt-out",
      UsePreviousTemplate: true,
      Capabilities: NAMED_IAM,
      Parameters: withParameter("EnableAutoUpdate", "false"),
    });
    await engine.tick();

    const described = await engine.describeChangeSet(ACCOUNT, REGION, {
      ChangeSetName: "opt-out",
      StackName: "acme-integration",
    });
    expect(described).toMatchObject({ Status: "CREATE_COMPLETE", ExecutionStatus: "AVAILABLE" });
    const changes = described.Changes!.map((c) => c.ResourceChange!);
    expect(changes).toContainEqual({
      Action: "Remove",
      LogicalResourceId: "UpdateRole",
      PhysicalResourceId: "acme-update",
      ResourceType: "AWS::IAM::Role",
      Scope: [],
      Details: [],
    });
    expect(changes.find((c) => c.LogicalResourceId === "Registration")).toMatchObject({
      Action: "Modify",
      Replacement: "False",
      Scope: ["Properties"],
      Details: [
        {
          Target: { Attribute: "Properties", Name: "UpdateRoleArn", RequiresRecreation: "Never" },
          Evaluation: "Static",
          ChangeSource: "ParameterReference",
          CausingEntity: "EnableAutoUpdate",
        },
      ],
    });
    expect(changes).toHaveLength(2);
    // A preview changes nothing.
    expect(roles.byName("acme-update")).toEqual(updateRole);
  });

  it("marks a role Path change as a replacement and a policy-only change as an in-place modify", async () => {
    const { engine } = setup();
    await createIntegration(engine);
    const next = INTEGRATION_TEMPLATE.replace(
      "      Policies:\n        - PolicyName: apply",
      "      Path: /acme/\n      Policies:\n        - PolicyName: apply",
    ).replace(
      "Action: [cloudformation:CreateChangeSet,",
      "Action: [cloudformation:DescribeChangeSet, cloudformation:CreateChangeSet,",
    );
    await engine.createChangeSet(ACCOUNT, REGION, {
      StackName: "acme-integration",
      ChangeSetName: "v2",
      TemplateBody: next,
      Capabilities: NAMED_IAM,
      Parameters: KEEP_ALL,
      IncludeNestedStacks: false,
    });
    await engine.tick();
    const changes = (
      await engine.describeChangeSet(ACCOUNT, REGION, {
        ChangeSetName: "v2",
        StackName: "acme-integration",
        IncludePropertyValues: true,
      })
    ).Changes!.map((c) => c.ResourceChange!);

    const service = changes.find((c) => c.LogicalResourceId === "ServiceRole")!;
    expect(service).toMatchObject({ Action: "Modify", Replacement: "True" });
    expect(service.Details).toContainEqual(
      expect.objectContaining({
        Target: { Attribute: "Properties", Name: "Path", RequiresRecreation: "Always" },
        ChangeSource: "DirectModification",
      }),
    );
    const update = changes.find((c) => c.LogicalResourceId === "UpdateRole")!;
    expect(update).toMatchObject({ Action: "Modify" });
    // Its policy references the replaced service role's ARN (unknown until applied) and changed directly.
    expect(update.Details).toContainEqual(
      expect.objectContaining({ Target: expect.objectContaining({ Name: "Policies" }), Evaluation: "Dynamic" }),
    );
    expect(update.AfterContext).toContain("{{changeSet:KNOWN_AFTER_APPLY}}");
    const integration = changes.find((c) => c.LogicalResourceId === "IntegrationRole");
    expect(integration).toBeUndefined();
  });

  it("executes a change set like an update and makes the stack's other change sets OBSOLETE", async () => {
    const { engine, roles, status } = setup();
    await createIntegration(engine);
    const create = (name: string, value: string) =>
      engine.createChangeSet(ACCOUNT, REGION, {
        StackName: "acme-integration",
        ChangeSetName: name,
        UsePreviousTemplate: true,
        Capabilities: NAMED_IAM,
        Parameters: withParameter("EnableAutoUpdate", value),
      });
    await create("opt-out", "false");
    await engine.createChangeSet(ACCOUNT, REGION, {
      StackName: "acme-integration",
      ChangeSetName: "other",
      UsePreviousTemplate: true,
      Capabilities: NAMED_IAM,
      Parameters: withParameter("VendorAccountId", "444444444444"),
    });
    await engine.tick();

    await engine.executeChangeSet(ACCOUNT, REGION, {
      ChangeSetName: "opt-out",
      StackName: "acme-integration",
      ClientRequestToken: "run-1",
    });
    await engine.tick();

    expect(await status("acme-integration")).toBe("UPDATE_COMPLETE");
    expect(roles.byName("acme-update")).toBeUndefined();
    const executed = await engine.describeChangeSet(ACCOUNT, REGION, {
      ChangeSetName: "opt-out",
      StackName: "acme-integration",
    });
    expect(executed.ExecutionStatus).toBe("EXECUTE_COMPLETE");
    const stack = (await engine.describeStacks(ACCOUNT, REGION, { StackName: "acme-integration" })).Stacks![0]!;
    expect(stack.ChangeSetId).toBe(executed.ChangeSetId);
    const other = await engine.describeChangeSet(ACCOUNT, REGION, {
      ChangeSetName: "other",
      StackName: "acme-integration",
    });
    expect(other.ExecutionStatus).toBe("OBSOLETE");
    await expect(engine.executeChangeSet(ACCOUNT, REGION, { ChangeSetName: other.ChangeSetId })).rejects.toMatchObject({
      code: "InvalidChangeSetStatus",
      message: `ChangeSet [${other.ChangeSetId}] cannot be executed in its current execution status of [OBSOLETE]`,
    });
  });

  it("creates a REVIEW_IN_PROGRESS stack for a CREATE change set and builds it on execution", async () => {
    const { engine, roles, status } = setup();
    const { StackId } = await engine.createChangeSet(ACCOUNT, REGION, {
      StackName: "acme-new",
      ChangeSetName: "initial",
      ChangeSetType: "CREATE",
      TemplateBody: INTEGRATION_TEMPLATE,
      Capabilities: NAMED_IAM,
      Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-9" }],
    });
    expect(await status("acme-new")).toBe("REVIEW_IN_PROGRESS");
    await engine.tick();
    const described = await engine.describeChangeSet(ACCOUNT, REGION, { ChangeSetName: "initial", StackName: StackId });
    expect(described.Changes!.map((c) => c.ResourceChange!.Action)).toEqual(["Add", "Add", "Add", "Add", "Add"]);
    expect(roles.roles.size).toBe(0);

    await engine.executeChangeSet(ACCOUNT, REGION, { ChangeSetName: described.ChangeSetId });
    await engine.tick();
    expect(await status("acme-new")).toBe("CREATE_COMPLETE");
    expect(roles.byName("acme-update")).toBeDefined();
  });

  it("returns the same change set for a retried request and rejects a different one under the same name", async () => {
    const { engine } = setup();
    await createIntegration(engine);
    const input = {
      StackName: "acme-integration",
      ChangeSetName: "opt-out",
      UsePreviousTemplate: true,
      Capabilities: NAMED_IAM,
      Parameters: withParameter("EnableAutoUpdate", "false"),
      ClientToken: "tok-1",
    };
    const first = await engine.createChangeSet(ACCOUNT, REGION, input);
    expect(await engine.createChangeSet(ACCOUNT, REGION, input)).toEqual(first);
    await expect(
      engine.createChangeSet(ACCOUNT, REGION, {
        ...input,
        ClientToken: "tok-2",
        UsePreviousTemplate: false,
        TemplateBody: `${INTEGRATION_TEMPLATE}\n`,
      }),
    ).rejects.toMatchObject({
      code: "AlreadyExistsException",
    });
  });

  it("reports unknown change sets as ChangeSetNotFound and deletes change sets", async () => {
    const { engine } = setup();
    await createIntegration(engine);
    await expect(
      engine.describeChangeSet(ACCOUNT, REGION, { ChangeSetName: "nope", StackName: "acme-integration" }),
    ).rejects.toMatchObject({
      code: "ChangeSetNotFound",
      status: 404,
      message: "ChangeSet [nope] does not exist",
    });
    const { Id } = await engine.createChangeSet(ACCOUNT, REGION, {
      StackName: "acme-integration",
      ChangeSetName: "opt-out",
      UsePreviousTemplate: true,
      Capabilities: NAMED_IAM,
      Parameters: withParameter("EnableAutoUpdate", "false"),
    });
    await engine.deleteChangeSet(ACCOUNT, REGION, { ChangeSetName: Id });
    await expect(engine.describeChangeSet(ACCOUNT, REGION, { ChangeSetName: Id })).rejects.toMatchObject({
      code: "ChangeSetNotFound",
    });
  });
});
