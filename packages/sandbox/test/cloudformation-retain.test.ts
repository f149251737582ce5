import { describe, expect, it } from "vitest";
import { ACCOUNT, NAMED_IAM, REGION, setup } from "./cloudformation-fixtures";

/**
 * Deletion policies and IAM name collisions as CloudFormation and IAM apply them: `Retain` keeps a
 * resource through every delete, `RetainExceptOnCreate` lets the rollback of the operation that
 * created it delete it, `UpdateReplacePolicy` decides for the old resource of a replacement, and a
 * managed policy name is unique per account whatever its case or path.
 */
const policyArn = (name: string, path = "/") => `arn:aws:iam::${ACCOUNT}:policy${path}${name}`;
const TRUST = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`;

/** A managed policy and, when `roleName` is given, a role created after it (a taken name fails it). */
function template(options: {
  deletionPolicy?: string;
  replacePolicy?: string;
  policyName?: string;
  roleName?: string;
  path?: string;
}): string {
  const policy = {
    Type: "AWS::IAM::ManagedPolicy",
    ...(options.deletionPolicy && { DeletionPolicy: options.deletionPolicy }),
    ...(options.replacePolicy && { UpdateReplacePolicy: options.replacePolicy }),
    Properties: {
      ManagedPolicyName: options.policyName ?? "Acme-boundary",
      ...(options.path && { Path: options.path }),
      PolicyDocument: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }] },
    },
  };
  const role = {
    Type: "AWS::IAM::Role",
    DependsOn: "Policy",
    Properties: { RoleName: options.roleName, AssumeRolePolicyDocument: JSON.parse(TRUST) },
  };
  return JSON.stringify({ Resources: { Policy: policy, ...(options.roleName && { Role: role }) } });
}

let lastStackId = "";

/** Creates a stack and returns its status once the engine has run; `lastStackId` is its id. */
async function stackOf(env: ReturnType<typeof setup>, body: string, stackName = "Acme-integration") {
  const { StackId } = await env.engine.createStack(ACCOUNT, REGION, {
    StackName: stackName,
    TemplateBody: body,
    Capabilities: NAMED_IAM,
  });
  lastStackId = StackId!;
  await env.engine.tick();
  return env.status(stackName);
}

async function deleteStack(env: ReturnType<typeof setup>, stackName = "Acme-integration") {
  await env.engine.deleteStack(ACCOUNT, REGION, { StackName: stackName });
  await env.engine.tick();
}

async function update(env: ReturnType<typeof setup>, body: string) {
  await env.engine.updateStack(ACCOUNT, REGION, {
    StackName: "Acme-integration",
    TemplateBody: body,
    Capabilities: NAMED_IAM,
  });
  await env.engine.tick();
  return env.status("Acme-integration");
}

/** Puts a role by hand, so a stack creating a role of that name fails. */
function takeRoleName(env: ReturnType<typeof setup>, roleName: string) {
  env.roles.putRole({
    accountId: ACCOUNT,
    roleName,
    path: "/",
    arn: `arn:aws:iam::${ACCOUNT}:role/${roleName}`,
    roleId: "AROAEXAMPLE",
    assumeRolePolicyDocument: JSON.parse(TRUST),
    inlinePolicies: {},
    managedPolicyArns: [],
    maxSessionDuration: 3600,
  });
}

describe("CloudFormation engine: deletion policies", () => {
  it("RetainExceptOnCreate: a failed create's rollback deletes the resource, so the same create can run again", async () => {
    const env = setup();
    takeRoleName(env, "Taken");
    const failing = template({ deletionPolicy: "RetainExceptOnCreate", roleName: "Taken" });
    expect(await stackOf(env, failing)).toBe("ROLLBACK_COMPLETE");
    expect(env.roles.getManagedPolicy(policyArn("Acme-boundary"))).toBeUndefined();
    await deleteStack(env);
    expect(await stackOf(env, template({ deletionPolicy: "RetainExceptOnCreate" }))).toBe("CREATE_COMPLETE");
  });

  it("Retain: a failed create's rollback keeps the resource, and the next create collides on its name", async () => {
    const env = setup();
    takeRoleName(env, "Taken");
    expect(await stackOf(env, template({ deletionPolicy: "Retain", roleName: "Taken" }))).toBe("ROLLBACK_COMPLETE");
    expect(env.roles.getManagedPolicy(policyArn("Acme-boundary"))).toBeDefined();
    await deleteStack(env);
    expect(await stackOf(env, template({ deletionPolicy: "Retain" }))).toBe("ROLLBACK_COMPLETE");
    const failed = (await env.events("Acme-integration")).find((e) => e.ResourceStatus === "CREATE_FAILED");
    expect(failed?.ResourceStatusReason).toBe(
      "A policy called Acme-boundary already exists. Duplicate names are not allowed.",
    );
  });

  it("RetainExceptOnCreate: stack deletion keeps the resource, like Retain", async () => {
    const env = setup();
    expect(await stackOf(env, template({ deletionPolicy: "RetainExceptOnCreate" }))).toBe("CREATE_COMPLETE");
    await deleteStack(env);
    expect(await env.status(lastStackId)).toBe("DELETE_COMPLETE");
    expect(env.roles.getManagedPolicy(policyArn("Acme-boundary"))).toBeDefined();
    const deleted = (await env.events(lastStackId)).find((e) => e.LogicalResourceId === "Policy");
    expect(deleted?.ResourceStatus).toBe("DELETE_SKIPPED");
  });

  it("RetainExceptOnCreate: an update's rollback deletes what that update created, keeps what it did not", async () => {
    const env = setup();
    takeRoleName(env, "Taken");
    const v1 = template({ deletionPolicy: "RetainExceptOnCreate", policyName: "Acme-one" });
    expect(await stackOf(env, v1)).toBe("CREATE_COMPLETE");
    const v2 = template({ deletionPolicy: "RetainExceptOnCreate", policyName: "Acme-two", roleName: "Taken" });
    expect(await update(env, v2)).toBe("UPDATE_ROLLBACK_COMPLETE");
    expect(env.roles.getManagedPolicy(policyArn("Acme-two"))).toBeUndefined();
    expect(env.roles.getManagedPolicy(policyArn("Acme-one"))).toBeDefined();
  });

  it("UpdateReplacePolicy decides for the replaced resource: Retain keeps it, Delete (default) removes it", async () => {
    for (const [replacePolicy, kept] of [
      ["Retain", true],
      [undefined, false],
    ] as const) {
      const env = setup();
      const v1 = template({ deletionPolicy: "RetainExceptOnCreate", replacePolicy, policyName: "Acme-one" });
      expect(await stackOf(env, v1)).toBe("CREATE_COMPLETE");
      const v2 = template({ deletionPolicy: "RetainExceptOnCreate", replacePolicy, policyName: "Acme-two" });
      expect(await update(env, v2)).toBe("UPDATE_COMPLETE");
      expect(env.roles.getManagedPolicy(policyArn("Acme-one")) !== undefined).toBe(kept);
      expect(env.roles.getManagedPolicy(policyArn("Acme-two"))).toBeDefined();
    }
  });
});

describe("IAM: managed policy names", () => {
  it("are unique per account whatever their case or path", async () => {
    const env = setup();
    expect(await stackOf(env, template({ policyName: "Acme-boundary" }), "Acme-a")).toBe("CREATE_COMPLETE");
    expect(await stackOf(env, template({ policyName: "ACME-BOUNDARY" }), "Acme-b")).toBe("ROLLBACK_COMPLETE");
    expect(await stackOf(env, template({ policyName: "Acme-boundary", path: "/x/" }), "Acme-c")).toBe(
      "ROLLBACK_COMPLETE",
    );
    expect(await stackOf(env, template({ policyName: "Acme-boundary-2" }), "Acme-d")).toBe("CREATE_COMPLETE");
  });
});

describe("intrinsics: the stack id's UUID", () => {
  it("Fn::Select 2 of Fn::Split '/' on AWS::StackId names a resource per stack incarnation", async () => {
    const env = setup();
    const uuid = { "Fn::Select": [2, { "Fn::Split": ["/", { Ref: "AWS::StackId" }] }] };
    const body = JSON.stringify({
      Resources: {
        Policy: {
          Type: "AWS::IAM::ManagedPolicy",
          DeletionPolicy: "Retain",
          Properties: {
            ManagedPolicyName: { "Fn::Sub": ["Acme-boundary-${AWS::Region}-${Id}", { Id: uuid }] },
            PolicyDocument: {
              Version: "2012-10-17",
              Statement: [{ Effect: "Allow", Action: "s3:Get*", Resource: "*" }],
            },
          },
        },
      },
    });
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      expect(await stackOf(env, body)).toBe("CREATE_COMPLETE");
      const stackId = lastStackId;
      const resource = await env.engine.describeStackResources(ACCOUNT, REGION, { StackName: "Acme-integration" });
      const arn = resource.StackResources!.find((r) => r.LogicalResourceId === "Policy")!.PhysicalResourceId!;
      expect(arn).toBe(policyArn(`Acme-boundary-${REGION}-${stackId.split("/")[2]}`));
      names.push(arn);
      await deleteStack(env);
    }
    expect(names[0]).not.toBe(names[1]);
  });
});
