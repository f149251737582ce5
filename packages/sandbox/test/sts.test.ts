import { ListSchedulesCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../src/index";
import { assume, CUSTOMER, config, failure, OTHER_CUSTOMER, policy, putRole, UPDATER } from "./helpers";

const EXTERNAL_ID = "ext-int_01JABCDEF";

describe("sandbox STS", () => {
  let sandbox: Sandbox;
  let updateRoleArn: string;
  let executorArn: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ port: 0, clock: "manual", startTime: new Date("2030-01-01T00:00:00Z") });
    executorArn = putRole(
      sandbox,
      UPDATER,
      "stackfleet-executor",
      policy({ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${UPDATER}:root` }, Action: "sts:AssumeRole" }),
      {
        assume: policy({ Effect: "Allow", Action: "sts:AssumeRole", Resource: "arn:aws:iam::*:role/Acme-*" }),
      },
    ).arn;
    updateRoleArn = putRole(
      sandbox,
      CUSTOMER,
      "Acme-Update",
      policy({
        Effect: "Allow",
        Principal: { AWS: executorArn },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "sts:ExternalId": EXTERNAL_ID } },
      }),
    ).arn;
  });

  afterAll(() => sandbox.stop());

  it("AssumeRole with the right ExternalId returns working session credentials", async () => {
    const executor = await assume(sandbox, UPDATER, executorArn);
    const session = await assume(sandbox, executor, updateRoleArn, {
      ExternalId: EXTERNAL_ID,
      RoleSessionName: "run_01J",
    });

    expect(session.accessKeyId).toMatch(/^ASIA/);
    const me = await new STSClient(config(sandbox, session)).send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe(CUSTOMER);
    expect(me.Arn).toBe(`arn:aws:sts::${CUSTOMER}:assumed-role/Acme-Update/run_01J`);
  });

  it("AssumeRole with a wrong or missing ExternalId is AccessDenied (403) with AWS's message", async () => {
    const executor = await assume(sandbox, UPDATER, executorArn);

    for (const ExternalId of ["ext-someone-else", undefined]) {
      const error = await failure(() => assume(sandbox, executor, updateRoleArn, { ExternalId }));
      expect(error.name).toBe("AccessDenied");
      expect(error.$metadata?.httpStatusCode).toBe(403);
      expect(error.message).toBe(
        `User: arn:aws:sts::${UPDATER}:assumed-role/stackfleet-executor/test-session is not authorized to perform: sts:AssumeRole on resource: ${updateRoleArn}`,
      );
    }
  });

  it("AssumeRole from a principal the trust policy does not name is AccessDenied, even with the ExternalId", async () => {
    for (const untrusted of [UPDATER, OTHER_CUSTOMER, CUSTOMER]) {
      const error = await failure(() => assume(sandbox, untrusted, updateRoleArn, { ExternalId: EXTERNAL_ID }));
      expect(error.name).toBe("AccessDenied");
    }
  });

  it("a cross-account principal needs its own identity policy too: a trusted role without it is denied", async () => {
    const bare = putRole(
      sandbox,
      UPDATER,
      "bare",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }),
    );
    const target = putRole(
      sandbox,
      CUSTOMER,
      "Acme-Trusts-Bare",
      policy({ Effect: "Allow", Principal: { AWS: bare.arn }, Action: "sts:AssumeRole" }),
    );
    const bareSession = await assume(sandbox, UPDATER, bare.arn);

    expect((await failure(() => assume(sandbox, bareSession, target.arn))).name).toBe("AccessDenied");
  });

  it("an account principal in the trust policy admits that account's administrator", async () => {
    const role = putRole(
      sandbox,
      CUSTOMER,
      "Acme-AccountTrust",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }),
    );

    await expect(assume(sandbox, UPDATER, role.arn)).resolves.toMatchObject({
      accessKeyId: expect.stringMatching(/^ASIA/),
    });
    expect((await failure(() => assume(sandbox, OTHER_CUSTOMER, role.arn))).name).toBe("AccessDenied");
  });

  it("a session expires after DurationSeconds: its calls fail with ExpiredToken", async () => {
    const session = await assume(sandbox, UPDATER, executorArn, { DurationSeconds: 900 });
    const sts = new STSClient(config(sandbox, session));
    await sts.send(new GetCallerIdentityCommand({}));

    await sandbox.control.advanceClock(901_000);

    const error = await failure(() => sts.send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe("ExpiredToken");
    expect(error.$metadata?.httpStatusCode).toBe(403);
  });

  it("DurationSeconds is bounded by 900–43,200, the role's MaxSessionDuration and the 1-hour chaining cap", async () => {
    const long = putRole(
      sandbox,
      UPDATER,
      "Acme-Long",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }),
      {},
      { maxSessionDuration: 43_200 },
    );
    const executor = await assume(sandbox, UPDATER, executorArn);

    expect((await failure(() => assume(sandbox, UPDATER, long.arn, { DurationSeconds: 899 }))).name).toBe(
      "ValidationError",
    );
    expect((await failure(() => assume(sandbox, UPDATER, executorArn, { DurationSeconds: 7200 }))).message).toContain(
      "MaxSessionDuration",
    );
    await expect(assume(sandbox, UPDATER, long.arn, { DurationSeconds: 43_200 })).resolves.toBeDefined();
    const chained = await failure(() => assume(sandbox, executor, long.arn, { DurationSeconds: 7200 }));
    expect(chained.message).toContain("role chaining");
  });

  it("RoleSessionName and ExternalId are validated with AWS's constraints", async () => {
    const badName = await failure(() => assume(sandbox, UPDATER, executorArn, { RoleSessionName: "has space" }));
    expect(badName.name).toBe("ValidationError");
    expect(badName.message).toContain("roleSessionName");
    const shortId = await failure(() => assume(sandbox, UPDATER, executorArn, { ExternalId: "x" }));
    expect(shortId.message).toContain("externalId");
    const badChars = await failure(() => assume(sandbox, UPDATER, executorArn, { ExternalId: "semi;colon" }));
    expect(badChars.name).toBe("ValidationError");
  });

  it("SourceIdentity needs sts:SetSourceIdentity in the trust policy and then shows on the session", async () => {
    const without = putRole(
      sandbox,
      UPDATER,
      "no-source",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }),
    );
    const withIt = putRole(
      sandbox,
      UPDATER,
      "with-source",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: ["sts:AssumeRole", "sts:SetSourceIdentity"] }),
    );

    expect((await failure(() => assume(sandbox, UPDATER, without.arn, { SourceIdentity: "run_01J" }))).name).toBe(
      "AccessDenied",
    );
    await expect(assume(sandbox, UPDATER, withIt.arn, { SourceIdentity: "run_01J" })).resolves.toBeDefined();
  });

  it("a deleted role cannot be assumed", async () => {
    const role = putRole(
      sandbox,
      UPDATER,
      "doomed",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }),
    );
    await assume(sandbox, UPDATER, role.arn);

    sandbox.control.deleteRole(role.arn);

    expect((await failure(() => assume(sandbox, UPDATER, role.arn))).name).toBe("AccessDenied");
  });

  it("the live sessions of a deleted role lose every permission", async () => {
    const role = putRole(
      sandbox,
      UPDATER,
      "short-lived",
      policy({ Effect: "Allow", Principal: { AWS: UPDATER }, Action: "sts:AssumeRole" }),
      {
        schedules: policy({ Effect: "Allow", Action: "scheduler:ListSchedules", Resource: "*" }),
      },
    );
    const scheduler = new SchedulerClient(config(sandbox, await assume(sandbox, UPDATER, role.arn)));
    await scheduler.send(new ListSchedulesCommand({}));

    sandbox.control.deleteRole(role.arn);

    const error = await failure(() => scheduler.send(new ListSchedulesCommand({})));
    expect(error.name).toBe("AccessDeniedException");
    // Re-creating a role with the same name does not revive sessions of the old one.
    putRole(sandbox, UPDATER, "short-lived", role.assumeRolePolicyDocument, role.inlinePolicies);
    expect((await failure(() => scheduler.send(new ListSchedulesCommand({})))).name).toBe("AccessDeniedException");
  });

  it("an unknown access key is InvalidClientTokenId; a wrong secret is SignatureDoesNotMatch", async () => {
    const unknown = await failure(() =>
      new STSClient(config(sandbox, { accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "x" })).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(unknown.name).toBe("InvalidClientTokenId");
    const account = sandbox.accounts.find((a) => a.accountId === CUSTOMER)!;
    const badSecret = await failure(() =>
      new STSClient(config(sandbox, { accessKeyId: account.accessKeyId, secretAccessKey: "wrong" })).send(
        new GetCallerIdentityCommand({}),
      ),
    );
    expect(badSecret.name).toBe("SignatureDoesNotMatch");
  });

  it("the throttle switch answers the next call with Throttling: Rate exceeded", async () => {
    sandbox.control.throttleNext(1, "sts");
    const sts = new STSClient(config(sandbox, CUSTOMER));

    const error = await failure(() => sts.send(new GetCallerIdentityCommand({})));
    expect(error.name).toBe("Throttling");
    expect(error.message).toBe("Rate exceeded");
    await expect(sts.send(new GetCallerIdentityCommand({}))).resolves.toMatchObject({ Account: CUSTOMER });
  });
});
