import { describe, expect, it } from "vitest";
import type { CustomResourceRequest, CustomResourceResponse } from "../src/cloudformation";
import type { Principal } from "../src/contract";
import {
  ACCOUNT,
  createIntegration,
  INTEGRATION_TEMPLATE,
  KEEP_ALL,
  NAMED_IAM,
  REGION,
  setup,
} from "./cloudformation-fixtures";

const optOut = () => [
  ...KEEP_ALL.filter((p) => p.ParameterKey !== "EnableAutoUpdate"),
  { ParameterKey: "EnableAutoUpdate", ParameterValue: "false" },
];
const v2 = INTEGRATION_TEMPLATE.replace(
  "Action: [cloudformation:CreateChangeSet,",
  "Action: [cloudformation:DescribeChangeSet, cloudformation:CreateChangeSet,",
);

describe("CloudFormation engine: lifecycle", () => {
  it("holds each in-progress phase for its duration on the injected clock", async () => {
    const { engine, clock, status } = setup({ phaseDurations: { default: 30, changeSet: 10 } });
    await engine.createStack(ACCOUNT, REGION, {
      StackName: "acme-integration",
      TemplateBody: INTEGRATION_TEMPLATE,
      Capabilities: NAMED_IAM,
      Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-1" }],
    });
    expect(await status("acme-integration")).toBe("CREATE_IN_PROGRESS");
    clock.advance(29);
    expect(await status("acme-integration")).toBe("CREATE_IN_PROGRESS");
    clock.advance(1);
    expect(await status("acme-integration")).toBe("CREATE_COMPLETE");

    const { Id } = await engine.createChangeSet(ACCOUNT, REGION, {
      StackName: "acme-integration",
      ChangeSetName: "v2",
      TemplateBody: v2,
      Capabilities: NAMED_IAM,
      Parameters: KEEP_ALL,
    });
    expect((await engine.describeChangeSet(ACCOUNT, REGION, { ChangeSetName: Id })).Status).toBe("CREATE_IN_PROGRESS");
    await expect(engine.executeChangeSet(ACCOUNT, REGION, { ChangeSetName: Id })).rejects.toMatchObject({
      code: "InvalidChangeSetStatus",
    });
    clock.advance(10);
    expect((await engine.describeChangeSet(ACCOUNT, REGION, { ChangeSetName: Id })).ExecutionStatus).toBe("AVAILABLE");

    await engine.executeChangeSet(ACCOUNT, REGION, { ChangeSetName: Id });
    expect(await status("acme-integration")).toBe("UPDATE_IN_PROGRESS");
    await expect(
      engine.updateStack(ACCOUNT, REGION, {
        StackName: "acme-integration",
        UsePreviousTemplate: true,
        Capabilities: NAMED_IAM,
        Parameters: optOut(),
      }),
    ).rejects.toMatchObject({
      code: "ValidationError",
      message: expect.stringMatching(
        /^Stack:arn:aws:cloudformation:.* is in UPDATE_IN_PROGRESS state and can not be updated\.$/,
      ),
    });
    clock.advance(30);
    expect(await status("acme-integration")).toBe("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS");
    clock.advance(30);
    expect(await status("acme-integration")).toBe("UPDATE_COMPLETE");
  });

  it("rolls a fault-injected update back to UPDATE_ROLLBACK_COMPLETE, every event carrying the execution's token", async () => {
    const { engine, roles, status, events } = setup();
    await createIntegration(engine);
    const before = roles.byName("acme-update")!;
    engine.failNextUpdate(ACCOUNT, "acme-integration", { reason: "Rate exceeded" });
    const { Id } = await engine.createChangeSet(ACCOUNT, REGION, {
      StackName: "acme-integration",
      ChangeSetName: "v2",
      TemplateBody: v2,
      Capabilities: NAMED_IAM,
      Parameters: KEEP_ALL,
    });
    await engine.tick();

    await engine.executeChangeSet(ACCOUNT, REGION, { ChangeSetName: Id, ClientRequestToken: "run-42" });
    await engine.tick();

    expect(await status("acme-integration")).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(roles.byName("acme-update")).toEqual(before);
    const mine = (await events("acme-integration")).filter((e) => e.ClientRequestToken === "run-42");
    const stackStatuses = mine
      .filter((e) => e.ResourceType === "AWS::CloudFormation::Stack")
      .map((e) => e.ResourceStatus);
    expect(stackStatuses).toEqual([
      "UPDATE_ROLLBACK_COMPLETE",
      "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
      "UPDATE_ROLLBACK_IN_PROGRESS",
      "UPDATE_IN_PROGRESS",
    ]);
    expect(mine).toContainEqual(
      expect.objectContaining({
        LogicalResourceId: "UpdateRole",
        ResourceStatus: "UPDATE_FAILED",
        ResourceStatusReason: "Rate exceeded",
      }),
    );
    expect(mine.find((e) => e.ResourceStatus === "UPDATE_ROLLBACK_IN_PROGRESS")!.ResourceStatusReason).toBe(
      "The following resource(s) failed to update: [UpdateRole]. ",
    );
    expect((await engine.describeChangeSet(ACCOUNT, REGION, { ChangeSetName: Id })).ExecutionStatus).toBe(
      "EXECUTE_FAILED",
    );
    // The stack is updatable again and the fault was used up.
    await engine.updateStack(ACCOUNT, REGION, {
      StackName: "acme-integration",
      TemplateBody: v2,
      Capabilities: NAMED_IAM,
      Parameters: KEEP_ALL,
    });
    await engine.tick();
    expect(await status("acme-integration")).toBe("UPDATE_COMPLETE");
  });

  it("ends in UPDATE_ROLLBACK_FAILED when the rollback fails too, and refuses further updates", async () => {
    const { engine, status } = setup();
    await createIntegration(engine);
    engine.failNextUpdate(ACCOUNT, "acme-integration", { reason: "Internal Failure", rollbackFails: true });
    await engine.updateStack(ACCOUNT, REGION, {
      StackName: "acme-integration",
      TemplateBody: v2,
      Capabilities: NAMED_IAM,
      Parameters: KEEP_ALL,
    });
    await engine.tick();
    expect(await status("acme-integration")).toBe("UPDATE_ROLLBACK_FAILED");
    await expect(
      engine.updateStack(ACCOUNT, REGION, {
        StackName: "acme-integration",
        TemplateBody: INTEGRATION_TEMPLATE,
        Capabilities: NAMED_IAM,
        Parameters: KEEP_ALL,
      }),
    ).rejects.toMatchObject({
      message: expect.stringContaining("is in UPDATE_ROLLBACK_FAILED state and can not be updated."),
    });
  });

  it("rolls a create back to ROLLBACK_COMPLETE when a custom resource answers FAILED, and refuses updates after", async () => {
    const requests: CustomResourceRequest[] = [];
    const onCustomResource = async (request: CustomResourceRequest): Promise<CustomResourceResponse> => {
      requests.push(request);
      return request.requestType === "Create"
        ? { status: "FAILED", reason: "registration rejected: 403", physicalResourceId: "reg-1" }
        : { status: "SUCCESS" };
    };
    const { engine, roles, status, events } = setup({ onCustomResource });
    await createIntegration(engine);

    expect(await status("acme-integration")).toBe("ROLLBACK_COMPLETE");
    expect(roles.roles.size).toBe(0);
    const create = requests[0]!;
    expect(create.resourceProperties).toMatchObject({
      Version: "1",
      IntegrationRoleArn: `arn:aws:iam::${ACCOUNT}:role/acme-integration-${REGION}`,
    });
    expect(create.serviceTokenResource?.properties).toMatchObject({
      Code: { ZipFile: "exports.handler = async () => ({})" },
      Environment: { Variables: { API_URL: "https://api.example.com" } },
    });
    expect(requests.map((r) => `${r.requestType}:${r.physicalResourceId ?? ""}`)).toEqual(["Create:", "Delete:reg-1"]);
    const failed = (await events("acme-integration")).find((e) => e.ResourceStatus === "CREATE_FAILED")!;
    expect(failed.ResourceStatusReason).toBe(
      "Received response status [FAILED] from custom resource. Message returned: registration rejected: 403",
    );
    await expect(
      engine.updateStack(ACCOUNT, REGION, {
        StackName: "acme-integration",
        UsePreviousTemplate: true,
        Capabilities: NAMED_IAM,
        Parameters: KEEP_ALL,
      }),
    ).rejects.toMatchObject({
      code: "ValidationError",
      message: expect.stringMatching(
        /^Stack:arn:aws:cloudformation:eu-west-1:123456789012:stack\/acme-integration\/.* is in ROLLBACK_COMPLETE state and can not be updated\.$/,
      ),
    });
  });

  it("rolls an update back when the custom resource fails it, restoring the removed role's absence and the old properties", async () => {
    let failUpdates = false;
    const requests: CustomResourceRequest[] = [];
    const onCustomResource = async (request: CustomResourceRequest): Promise<CustomResourceResponse> => {
      requests.push(request);
      return failUpdates && request.requestType === "Update" && request.resourceProperties.UpdateRoleArn === ""
        ? { status: "FAILED", reason: "nope" }
        : { status: "SUCCESS", physicalResourceId: "reg-1" };
    };
    const { engine, roles, status } = setup({ onCustomResource });
    await createIntegration(engine);
    failUpdates = true;
    await engine.updateStack(ACCOUNT, REGION, {
      StackName: "acme-integration",
      UsePreviousTemplate: true,
      Capabilities: NAMED_IAM,
      Parameters: optOut(),
    });
    await engine.tick();

    expect(await status("acme-integration")).toBe("UPDATE_ROLLBACK_COMPLETE");
    // Removals only happen in cleanup, which a failed update never reaches.
    expect(roles.byName("acme-update")).toBeDefined();
    const rollback = requests.at(-1)!;
    expect(rollback).toMatchObject({ requestType: "Update", physicalResourceId: "reg-1" });
    expect(rollback.resourceProperties.UpdateRoleArn).toBe(`arn:aws:iam::${ACCOUNT}:role/acme-update`);
    const parameters = (await engine.describeStacks(ACCOUNT, REGION, { StackName: "acme-integration" })).Stacks![0]!
      .Parameters!;
    expect(parameters).toContainEqual({ ParameterKey: "EnableAutoUpdate", ParameterValue: "true" });
  });

  it("reverts resources the failed update had already modified", async () => {
    const onCustomResource = async (request: CustomResourceRequest): Promise<CustomResourceResponse> =>
      request.requestType === "Update" && request.resourceProperties.Version === "2"
        ? { status: "FAILED", reason: "bad version" }
        : { status: "SUCCESS", physicalResourceId: "reg-1" };
    const { engine, roles, status, events } = setup({ onCustomResource });
    await createIntegration(engine);
    const before = roles.byName("acme-update")!;
    await engine.updateStack(ACCOUNT, REGION, {
      StackName: "acme-integration",
      TemplateBody: v2.replace("Version: 1", "Version: 2"),
      Capabilities: NAMED_IAM,
      Parameters: KEEP_ALL,
    });
    await engine.tick();

    expect(await status("acme-integration")).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(roles.byName("acme-update")!.inlinePolicies).toEqual(before.inlinePolicies);
    const updateRoleEvents = (await events("acme-integration"))
      .filter((e) => e.LogicalResourceId === "UpdateRole")
      .map((e) => e.ResourceStatus);
    expect(updateRoleEvents.slice(0, 2)).toEqual(["UPDATE_COMPLETE", "UPDATE_IN_PROGRESS"]);
    const body = (await engine.getTemplate(ACCOUNT, REGION, { StackName: "acme-integration" })).TemplateBody;
    expect(body).toBe(INTEGRATION_TEMPLATE);
  });

  it("fails replacing a custom-named role (Path change with the same RoleName) and rolls back", async () => {
    const { engine, roles, status, events } = setup();
    await createIntegration(engine);
    const moved = INTEGRATION_TEMPLATE.replace(
      "      RoleName: acme-update\n",
      "      RoleName: acme-update\n      Path: /acme/\n",
    );
    await engine.updateStack(ACCOUNT, REGION, {
      StackName: "acme-integration",
      TemplateBody: moved,
      Capabilities: NAMED_IAM,
      Parameters: KEEP_ALL,
    });
    await engine.tick();

    expect(await status("acme-integration")).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(roles.byName("acme-update")!.path).toBe("/");
    const failed = (await events("acme-integration")).find((e) => e.ResourceStatus === "UPDATE_FAILED")!;
    expect(failed).toMatchObject({
      LogicalResourceId: "UpdateRole",
      ResourceStatusReason:
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename acme-update and update the stack again.",
    });
  });

  it("replays a request retried with its ClientRequestToken and rejects the token on a different request", async () => {
    const { engine } = setup();
    const input = {
      StackName: "acme-integration",
      TemplateBody: INTEGRATION_TEMPLATE,
      Capabilities: NAMED_IAM,
      Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-1" }],
      ClientRequestToken: "tok-1",
    };
    const first = await engine.createStack(ACCOUNT, REGION, input);
    expect(await engine.createStack(ACCOUNT, REGION, input)).toEqual(first);
    await engine.tick();
    await expect(
      engine.updateStack(ACCOUNT, REGION, {
        StackName: "acme-integration",
        TemplateBody: v2,
        Capabilities: NAMED_IAM,
        Parameters: KEEP_ALL,
        ClientRequestToken: "tok-1",
      }),
    ).rejects.toMatchObject({
      code: "TokenAlreadyExistsException",
    });
    const events = (await engine.describeStackEvents(ACCOUNT, REGION, { StackName: "acme-integration" })).StackEvents!;
    expect(events.every((e) => e.ClientRequestToken === "tok-1")).toBe(true);
  });

  it("fails an operation whose caller's session expires midway unless the stack has a service role, which sticks", async () => {
    const caller = (expiresInSeconds: number, now: Date): Principal => ({
      type: "assumed-role",
      accountId: ACCOUNT,
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/acme-update/run-1`,
      roleArn: `arn:aws:iam::${ACCOUNT}:role/acme-update`,
      sessionName: "run-1",
      expiresAt: new Date(now.getTime() + expiresInSeconds * 1000),
    });
    const { engine, clock, roles, status } = setup({ phaseDurations: { resource: 100 } });
    const advanceUntilSettled = async () => {
      for (let i = 0; i < 20; i++) {
        clock.advance(100);
        await engine.tick();
      }
    };
    const input = {
      TemplateBody: INTEGRATION_TEMPLATE,
      Capabilities: NAMED_IAM,
      Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-1" }],
    };
    await engine.createStack(ACCOUNT, REGION, { ...input, StackName: "no-service-role" }, caller(150, clock.now()));
    await advanceUntilSettled();
    expect(await status("no-service-role")).toBe("ROLLBACK_FAILED");

    roles.putRole({
      accountId: ACCOUNT,
      roleName: "cfn-exec",
      path: "/",
      arn: `arn:aws:iam::${ACCOUNT}:role/cfn-exec`,
      roleId: "AROAEXAMPLEEXAMPLE1",
      assumeRolePolicyDocument: {
        Statement: [
          { Effect: "Allow", Principal: { Service: "cloudformation.amazonaws.com" }, Action: "sts:AssumeRole" },
        ],
      },
      inlinePolicies: {},
      managedPolicyArns: [],
      maxSessionDuration: 3600,
    });
    const other = INTEGRATION_TEMPLATE.replace(/acme-update/g, "acme-update-2").replace(
      "acme-integration-${AWS::Region}",
      "acme-integration-2-${AWS::Region}",
    );
    await engine.createStack(
      ACCOUNT,
      REGION,
      {
        ...input,
        TemplateBody: other,
        StackName: "with-service-role",
        RoleARN: `arn:aws:iam::${ACCOUNT}:role/cfn-exec`,
      },
      caller(150, clock.now()),
    );
    await advanceUntilSettled();
    expect(await status("with-service-role")).toBe("CREATE_COMPLETE");
    await engine.updateStack(
      ACCOUNT,
      REGION,
      { StackName: "with-service-role", UsePreviousTemplate: true, Capabilities: NAMED_IAM, Parameters: optOut() },
      caller(150, clock.now()),
    );
    await advanceUntilSettled();
    const stack = (await engine.describeStacks(ACCOUNT, REGION, { StackName: "with-service-role" })).Stacks![0]!;
    expect(stack).toMatchObject({ StackStatus: "UPDATE_COMPLETE", RoleARN: `arn:aws:iam::${ACCOUNT}:role/cfn-exec` });
    await expect(
      engine.createStack(ACCOUNT, REGION, {
        ...input,
        StackName: "bad-role",
        RoleARN: `arn:aws:iam::${ACCOUNT}:role/missing`,
      }),
    ).rejects.toMatchObject({
      message: `Role arn:aws:iam::${ACCOUNT}:role/missing is invalid or cannot be assumed`,
    });
  });
});
