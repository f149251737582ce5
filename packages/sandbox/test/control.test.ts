import { CloudFormationClient, CreateStackCommand, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { CreateScheduleCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { customerTemplate } from "./cloudformation-helpers";
import { CUSTOMER, config, failure, REGION, UPDATER } from "./helpers";

describe("sandbox control API over HTTP", () => {
  let sandbox: Sandbox;

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${sandbox.endpoint}${path}`, {
      method,
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: new Date("2030-06-01T00:00:00Z") });
  });

  afterAll(() => sandbox.stop());

  it("lists the default accounts: one vendor, one updater, three customers", async () => {
    const { body } = await call("GET", "/_sandbox/accounts");

    expect(body.accounts.map((a: { accountId: string; role: string }) => `${a.accountId}:${a.role}`)).toEqual([
      "111111111111:vendor",
      "222222222222:updater",
      "333333333333:customer",
      "444444444444:customer",
      "555555555555:customer",
    ]);
  });

  it("advances the manual clock and returns what fired", async () => {
    const target = `arn:aws:lambda:${REGION}:${UPDATER}:function:http-fired`;
    sandbox.targets.register(target, () => undefined);
    await new SchedulerClient(config(sandbox, UPDATER)).send(
      new CreateScheduleCommand({
        Name: "http-fired",
        ScheduleExpression: "at(2030-06-01T00:05:00)",
        FlexibleTimeWindow: { Mode: "OFF" },
        Target: { Arn: target, RoleArn: `arn:aws:iam::${UPDATER}:role/scheduler`, Input: "{}" },
      }),
    );

    const { body } = await call("POST", "/_sandbox/clock/advance", { ms: 300_000 });

    expect(body.now).toBe("2030-06-01T00:05:00.000Z");
    expect(body.deliveries).toEqual([expect.objectContaining({ scheduleName: "http-fired", outcome: "succeeded" })]);
    expect((await call("GET", "/_sandbox/deliveries")).body.deliveries).toHaveLength(1);
  });

  it("switches throttling on for the next calls", async () => {
    expect((await call("POST", "/_sandbox/faults/throttle", { count: 1, service: "sts" })).status).toBe(200);

    const error = await failure(() => new STSClient(config(sandbox, CUSTOMER)).send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe("Throttling");
  });

  it("seeds a role no stack owns (the executor role SST would deploy), which can then be assumed", async () => {
    const { status, body } = await call("POST", "/_sandbox/roles", {
      accountId: UPDATER,
      roleName: "stackfleet-executor",
      trustPolicy: {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }],
      },
    });
    expect(status).toBe(200);
    expect(body.role.arn).toBe(`arn:aws:iam::${UPDATER}:role/stackfleet-executor`);

    const session = await new STSClient(config(sandbox, UPDATER)).send(
      new AssumeRoleCommand({ RoleArn: body.role.arn, RoleSessionName: "executor" }),
    );
    expect(session.AssumedRoleUser?.Arn).toBe(`arn:aws:sts::${UPDATER}:assumed-role/stackfleet-executor/executor`);
    expect((await call("POST", "/_sandbox/roles", { accountId: UPDATER, roleName: "x" })).status).toBe(400);
  });

  it("answers unknown routes and bad input with a JSON error", async () => {
    expect((await call("GET", "/_sandbox/nope")).status).toBe(404);
    const bad = await call("POST", "/_sandbox/clock/advance", { ms: "soon" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain("ms");
  });

  it("serves unmodified SDK clients configured by AWS_ENDPOINT_URL_<SERVICE>", async () => {
    const account = sandbox.accounts.find((a) => a.accountId === CUSTOMER)!;
    process.env.AWS_ENDPOINT_URL_STS = sandbox.endpoint;
    try {
      const sts = new STSClient({
        region: REGION,
        credentials: { accessKeyId: account.accessKeyId, secretAccessKey: account.secretAccessKey },
      });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Arn).toBe(
        `arn:aws:iam::${CUSTOMER}:user/sandbox-admin`,
      );
    } finally {
      delete process.env.AWS_ENDPOINT_URL_STS;
    }
  });
});

describe("sandbox on the real clock", () => {
  it("advances stacks on its own: a stack's role exists without anyone polling", async () => {
    const sandbox = await startSandbox({ port: 0, firingIntervalMs: 20 });
    try {
      await new CloudFormationClient(config(sandbox, CUSTOMER)).send(
        new CreateStackCommand({
          StackName: "Acme-Unpolled",
          TemplateBody: customerTemplate(),
          Parameters: [{ ParameterKey: "ExternalId", ParameterValue: "ext-1234" }],
          Capabilities: ["CAPABILITY_NAMED_IAM"],
        }),
      );

      await expect
        .poll(() => sandbox.roles.getRole(`arn:aws:iam::${CUSTOMER}:role/Acme-Update-Acme-Unpolled`), { timeout: 5000 })
        .toBeDefined();
    } finally {
      await sandbox.stop();
    }
  });

  it("fires a due one-shot schedule from its timer loop", async () => {
    const sandbox = await startSandbox({ port: 0, firingIntervalMs: 50 });
    try {
      const target = `arn:aws:lambda:${REGION}:${UPDATER}:function:realtime`;
      const fired = new Promise<string>((resolve) => sandbox.targets.register(target, resolve));
      const at = new Date(Date.now() + 1000).toISOString().slice(0, 19);

      await new SchedulerClient(config(sandbox, UPDATER)).send(
        new CreateScheduleCommand({
          Name: "realtime",
          ScheduleExpression: `at(${at})`,
          FlexibleTimeWindow: { Mode: "OFF" },
          Target: { Arn: target, RoleArn: `arn:aws:iam::${UPDATER}:role/scheduler`, Input: '{"runId":"run_rt"}' },
        }),
      );

      expect(await fired).toBe('{"runId":"run_rt"}');
    } finally {
      await sandbox.stop();
    }
  });
});

describe("the customer console route", () => {
  let sandbox: Sandbox;

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${sandbox.endpoint}${path}`, { method, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as any };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: new Date("2030-06-01T00:00:00Z") });
  });

  afterAll(() => sandbox.stop());

  it("sets a stack parameter as the console does, keeping every other value; bad input is a 4xx and changes nothing", async () => {
    const cfn = new CloudFormationClient(config(sandbox, CUSTOMER));
    await cfn.send(
      new CreateStackCommand({
        StackName: "Acme-console",
        TemplateBody: customerTemplate(),
        Parameters: [
          { ParameterKey: "ExternalId", ParameterValue: "ext-console" },
          { ParameterKey: "Note", ParameterValue: "kept" },
        ],
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    await sandbox.control.fireDue();
    const set = (body: unknown) => call("POST", "/_sandbox/stacks/parameters", body);

    const unknownKey = await set({ account: CUSTOMER, stackName: "Acme-console", parameters: { Nope: "1" } });
    const noAccount = await set({ account: "999999999999", stackName: "Acme-console", parameters: { Note: "x" } });
    const noStack = await set({ account: CUSTOMER, stackName: "Missing", parameters: { Note: "x" } });
    const noParameters = await set({ account: CUSTOMER, stackName: "Acme-console", parameters: {} });
    const sameValue = await set({ account: CUSTOMER, stackName: "Acme-console", parameters: { Note: "kept" } });
    expect([unknownKey, noAccount, noStack, noParameters, sameValue].map((r) => r.status)).toEqual([
      400, 404, 400, 400, 400,
    ]);
    expect(sameValue.body.error.message).toBe("No updates are to be performed.");
    const untouched = (await cfn.send(new DescribeStacksCommand({ StackName: "Acme-console" }))).Stacks![0]!;
    expect(untouched.StackStatus).toBe("CREATE_COMPLETE");

    const done = await set({ account: CUSTOMER, stackName: "Acme-console", parameters: { EnableAutoUpdate: "false" } });

    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      region: REGION,
      status: "UPDATE_COMPLETE",
      parameters: { ExternalId: "ext-console", EnableAutoUpdate: "false", Note: "kept" },
    });
  });
});
