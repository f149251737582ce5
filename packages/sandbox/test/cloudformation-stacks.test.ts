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

describe("CloudFormation engine: stacks", () => {
  it("creates the integration stack: roles in the RoleStore, conditions, !Sub ARNs and GetAtt outputs", async () => {
    const { engine, roles, status } = setup();
    const stackId = await createIntegration(engine);

    expect(stackId).toMatch(
      new RegExp(`^arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/acme-integration/[0-9a-f-]{36}$`),
    );
    expect(await status("acme-integration")).toBe("CREATE_COMPLETE");
    const integration = roles.byName(`acme-integration-${REGION}`)!;
    expect(integration.arn).toBe(`arn:aws:iam::${ACCOUNT}:role/acme-integration-${REGION}`);
    expect(integration.roleId).toMatch(/^AROA[A-Z0-9]{17}$/);
    expect(integration.managedPolicyArns).toEqual(["arn:aws:iam::aws:policy/SecurityAudit"]);
    expect(integration.permissionsBoundaryArn).toBeUndefined();
    expect(integration.stackId).toBe(stackId);
    const trust = integration.assumeRolePolicyDocument.Statement as Array<Record<string, any>>;
    expect(trust[0]!.Principal).toEqual({ AWS: "arn:aws:iam::111111111111:root" });
    expect(trust[0]!.Condition).toEqual({ StringEquals: { "sts:ExternalId": "ext-123" } });

    const update = roles.byName("acme-update")!;
    const statements = update.inlinePolicies["change-sets"]!.Statement as Array<Record<string, any>>;
    expect(statements[0]!.Resource).toBe(`arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/acme-*`);
    const serviceRole = [...roles.roles.values()].find((r) => r.roleName.startsWith("acme-integration-ServiceRole-"))!;
    expect(serviceRole.roleName.length).toBeLessThanOrEqual(64);
    expect(statements[1]!.Resource).toBe(serviceRole.arn);

    const stack = (await engine.describeStacks(ACCOUNT, REGION, { StackName: "acme-integration" })).Stacks![0]!;
    expect(stack.Outputs).toEqual(
      expect.arrayContaining([
        { OutputKey: "IntegrationRoleArn", OutputValue: integration.arn },
        { OutputKey: "UpdateRoleArn", OutputValue: update.arn },
        { OutputKey: "ServiceRoleArn", OutputValue: serviceRole.arn },
      ]),
    );
    expect(stack.Parameters).toContainEqual({ ParameterKey: "ExternalId", ParameterValue: "****" });
    expect(stack.Description).toBe("Acme integration");
    const body = await engine.getTemplate(ACCOUNT, REGION, { StackName: "acme-integration" });
    expect(body.TemplateBody).toBe(INTEGRATION_TEMPLATE);
  });

  it("keeps a parameter with UsePreviousValue and resets an omitted one to its default", async () => {
    const { engine, status } = setup();
    await createIntegration(engine, "acme-integration", [
      { ParameterKey: "VendorAccountId", ParameterValue: "999999999999" },
    ]);

    await engine.updateStack(ACCOUNT, REGION, {
      StackName: "acme-integration",
      UsePreviousTemplate: true,
      Capabilities: NAMED_IAM,
      Parameters: [
        { ParameterKey: "ExternalId", UsePreviousValue: true },
        { ParameterKey: "EnableAutoUpdate", ParameterValue: "true" },
        { ParameterKey: "UpdaterAccountId", ParameterValue: "333333333333" },
      ],
    });
    await engine.tick();

    expect(await status("acme-integration")).toBe("UPDATE_COMPLETE");
    const parameters = (await engine.describeStacks(ACCOUNT, REGION, { StackName: "acme-integration" })).Stacks![0]!
      .Parameters!;
    const value = (key: string) => parameters.find((p) => p.ParameterKey === key)?.ParameterValue;
    expect(value("VendorAccountId")).toBe("111111111111");
    expect(value("UpdaterAccountId")).toBe("333333333333");
  });

  it("removes the conditional update role from the RoleStore when EnableAutoUpdate flips to false", async () => {
    const { engine, roles, status } = setup();
    await createIntegration(engine);
    expect(roles.byName("acme-update")).toBeDefined();

    await engine.updateStack(ACCOUNT, REGION, {
      StackName: "acme-integration",
      UsePreviousTemplate: true,
      Capabilities: NAMED_IAM,
      Parameters: [
        ...KEEP_ALL.filter((p) => p.ParameterKey !== "EnableAutoUpdate"),
        { ParameterKey: "EnableAutoUpdate", ParameterValue: "false" },
      ],
    });
    await engine.tick();

    expect(await status("acme-integration")).toBe("UPDATE_COMPLETE");
    expect(roles.byName("acme-update")).toBeUndefined();
    expect(roles.byName(`acme-integration-${REGION}`)).toBeDefined();
    const outputs = (await engine.describeStacks(ACCOUNT, REGION, { StackName: "acme-integration" })).Stacks![0]!
      .Outputs!;
    expect(outputs.map((o) => o.OutputKey)).not.toContain("UpdateRoleArn");
  });

  it("answers an identical update with ValidationError 'No updates are to be performed.'", async () => {
    const { engine } = setup();
    await createIntegration(engine);
    await expect(
      engine.updateStack(ACCOUNT, REGION, {
        StackName: "acme-integration",
        UsePreviousTemplate: true,
        Capabilities: NAMED_IAM,
        Parameters: KEEP_ALL,
      }),
    ).rejects.toMatchObject({ code: "ValidationError", message: "No updates are to be performed." });
  });

  it("requires CAPABILITY_NAMED_IAM for named IAM roles and CAPABILITY_IAM for unnamed ones", async () => {
    const { engine } = setup();
    const input = {
      StackName: "acme-integration",
      TemplateBody: INTEGRATION_TEMPLATE,
      Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-123" }],
    };
    await expect(
      engine.createStack(ACCOUNT, REGION, { ...input, Capabilities: ["CAPABILITY_IAM"] }),
    ).rejects.toMatchObject({
      code: "InsufficientCapabilitiesException",
      message: "Requires capabilities : [CAPABILITY_NAMED_IAM]",
    });
    await expect(
      engine.createChangeSet(ACCOUNT, REGION, { ...input, ChangeSetName: "initial", ChangeSetType: "CREATE" }),
    ).rejects.toMatchObject({
      code: "InsufficientCapabilitiesException",
    });
    const unnamed =
      "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: { Statement: [] }\n";
    await expect(
      engine.createStack(ACCOUNT, REGION, { StackName: "unnamed", TemplateBody: unnamed }),
    ).rejects.toMatchObject({
      message: "Requires capabilities : [CAPABILITY_IAM]",
    });
  });

  it("validates parameters and template size before creating anything", async () => {
    const { engine } = setup();
    const create = (extra: object) =>
      engine.createStack(ACCOUNT, REGION, {
        StackName: "acme-integration",
        TemplateBody: INTEGRATION_TEMPLATE,
        Capabilities: NAMED_IAM,
        ...extra,
      });
    await expect(create({})).rejects.toMatchObject({
      code: "ValidationError",
      message: "Parameters: [ExternalId] must have values",
    });
    await expect(
      create({
        Parameters: [
          { ParameterKey: "ExternalId", ParameterValue: "ext-1" },
          { ParameterKey: "EnableAutoUpdate", ParameterValue: "yes" },
        ],
      }),
    ).rejects.toMatchObject({
      message: "Parameter 'EnableAutoUpdate' must be one of AllowedValues",
    });
    await expect(create({ Parameters: [{ ParameterKey: "Nope", ParameterValue: "x" }] })).rejects.toMatchObject({
      message: "Parameters: [Nope] do not exist in the template",
    });
    await expect(create({ TemplateBody: `${INTEGRATION_TEMPLATE}\n#${"x".repeat(51_200)}` })).rejects.toMatchObject({
      code: "ValidationError",
    });
    await expect(create({ TemplateBody: "Resources: [" })).rejects.toMatchObject({
      message: expect.stringMatching(/^Template format error/),
    });
    await expect(engine.describeStacks(ACCOUNT, REGION, { StackName: "acme-integration" })).rejects.toMatchObject({
      message: "Stack with id acme-integration does not exist",
    });
  });

  it("rejects UsePreviousValue for a parameter the stack does not have yet", async () => {
    const { engine } = setup();
    await createIntegration(engine);
    const next = INTEGRATION_TEMPLATE.replace(
      "Conditions:",
      "  Region2:\n    Type: String\n    Default: us-east-1\nConditions:",
    );
    await expect(
      engine.updateStack(ACCOUNT, REGION, {
        StackName: "acme-integration",
        TemplateBody: next,
        Capabilities: NAMED_IAM,
        Parameters: [...KEEP_ALL, { ParameterKey: "Region2", UsePreviousValue: true }],
      }),
    ).rejects.toMatchObject({
      message:
        "Invalid input for parameter key Region2. Cannot specify usePreviousValue as true for a parameter key not in the previous template",
    });
  });

  it("creates a second stack with the same name only after the first is deleted, which stays describable by id", async () => {
    const { engine, roles, status } = setup();
    const stackId = await createIntegration(engine);
    await expect(createIntegration(engine)).rejects.toMatchObject({ code: "AlreadyExistsException" });

    await engine.deleteStack(ACCOUNT, REGION, { StackName: "acme-integration" });
    await engine.tick();

    expect(await status(stackId)).toBe("DELETE_COMPLETE");
    await expect(status("acme-integration")).rejects.toMatchObject({
      message: "Stack with id acme-integration does not exist",
    });
    expect(roles.roles.size).toBe(0);
    expect(await createIntegration(engine)).not.toBe(stackId);
  });

  it("reads TemplateURL through the injected fetcher and reports the stack's resources", async () => {
    const fetched: string[] = [];
    const { engine } = setup({
      fetchTemplate: async (url) => {
        fetched.push(url);
        if (!url.endsWith("/v1.yaml")) throw new Error("404");
        return INTEGRATION_TEMPLATE;
      },
    });
    const input = {
      StackName: "acme-integration",
      Capabilities: NAMED_IAM,
      Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-1" }],
    };
    await expect(
      engine.createStack(ACCOUNT, REGION, { ...input, TemplateURL: "https://bucket.s3.amazonaws.com/missing.yaml" }),
    ).rejects.toMatchObject({
      message: "TemplateURL must reference a valid S3 object to which you have access.",
    });
    await engine.createStack(ACCOUNT, REGION, { ...input, TemplateURL: "https://bucket.s3.amazonaws.com/v1.yaml" });
    await engine.tick();

    expect(fetched).toEqual([
      "https://bucket.s3.amazonaws.com/missing.yaml",
      "https://bucket.s3.amazonaws.com/v1.yaml",
    ]);
    const resources = (await engine.describeStackResources(ACCOUNT, REGION, { StackName: "acme-integration" }))
      .StackResources!;
    expect(resources.map((r) => [r.LogicalResourceId, r.ResourceStatus])).toEqual(
      expect.arrayContaining([
        ["UpdateRole", "CREATE_COMPLETE"],
        ["Registration", "CREATE_COMPLETE"],
        ["RegistrationFunction", "CREATE_COMPLETE"],
      ]),
    );
    expect(resources.find((r) => r.LogicalResourceId === "UpdateRole")!.PhysicalResourceId).toBe("acme-update");
  });
});
