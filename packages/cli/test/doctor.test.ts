import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetPublicKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetFunctionConfigurationCommand, LambdaClient } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it, vi } from "vitest";
import { awsChecks } from "../src/doctor/aws-checks";
import { type Env, type Finding, offlineChecks } from "../src/doctor/checks";
import { cli, tempDir } from "./support/cli";

const key = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = (k: ReturnType<typeof key>) => k.publicKey.export({ type: "spki", format: "pem" }).toString();
const release = key();
const approver = key();
const pins = (...keys: Array<[string, ReturnType<typeof key>]>) =>
  JSON.stringify(keys.map(([keyId, k]) => ({ keyId, publicKeyPem: pem(k) })));

const UPDATER = "222222222222";
const goodEnv: Env = {
  STACKFLEET_VENDOR_NAME: "Acme Security",
  STACKFLEET_PRODUCT: "acme",
  STACKFLEET_STACK_PREFIX: "Acme",
  STACKFLEET_UPDATER_ACCOUNT_ID: UPDATER,
  STACKFLEET_JWT_ISSUER: "https://id.acme.test/",
  STACKFLEET_JWT_AUDIENCE: "stackfleet",
  STACKFLEET_JWKS_URL: "https://id.acme.test/.well-known/jwks.json",
  STACKFLEET_PINNED_KEYS: pins(["release-1", release]),
  STACKFLEET_PINNED_APPROVER_KEYS: pins(["approver-1", approver]),
};
const mainOutputs = {
  STACKFLEET_MAIN_TABLE_ARN: "arn:aws:dynamodb:eu-west-1:111111111111:table/stackfleet-production-Table",
  STACKFLEET_MAIN_TABLE_STREAM_ARN:
    "arn:aws:dynamodb:eu-west-1:111111111111:table/stackfleet-production-Table/stream/2026-11-29T00:00:00.000",
  STACKFLEET_TEMPLATE_BUCKET_ARN: "arn:aws:s3:::stackfleet-production-templates",
  STACKFLEET_NOTIFICATION_TOPIC_ARN: "arn:aws:sns:eu-west-1:111111111111:notes",
  STACKFLEET_MAIN_API_ROLE_ARN: "arn:aws:iam::111111111111:role/stackfleet-production-ApiRole",
  STACKFLEET_API_BASE_URL: "https://api.acme.test",
  STACKFLEET_TEMPLATE_BASE_URL: "https://templates.acme.test/templates",
  STACKFLEET_PINNED_APPROVER_KEYS: pins(["approver-1", approver]),
  STACKFLEET_RELEASE_KEY_ARN: "arn:aws:kms:eu-west-1:111111111111:key/release",
};
const updaterOutputs = {
  STACKFLEET_SCHEDULE_GROUP_ARN: `arn:aws:scheduler:eu-west-1:${UPDATER}:schedule-group/runs`,
  STACKFLEET_SCHEDULER_ROLE_ARN: `arn:aws:iam::${UPDATER}:role/scheduler`,
  STACKFLEET_EXECUTOR_ARN: `arn:aws:lambda:eu-west-1:${UPDATER}:function:stackfleet-production-updater-executor`,
  STACKFLEET_EXECUTOR_ROLE_ARN: `arn:aws:iam::${UPDATER}:role/executor`,
  STACKFLEET_SCHEDULE_DLQ_ARN: `arn:aws:sqs:eu-west-1:${UPDATER}:dlq`,
  STACKFLEET_ANNOUNCE_ROLE_ARN: `arn:aws:iam::${UPDATER}:role/announcer`,
};

const failures = (findings: Finding[]) =>
  Object.fromEntries(findings.filter((f) => f.status === "fail").map((f) => [f.check, f.detail]));

describe("doctor, offline", () => {
  it("passes a complete environment and the outputs of both stages", () => {
    const findings = offlineChecks("production", goodEnv, { main: mainOutputs, updater: updaterOutputs });
    expect(failures(findings)).toEqual({});
    expect(findings.map((f) => f.check)).toEqual(
      expect.arrayContaining(["product", "release keys", "approver keys", "executor floor", "updater placement"]),
    );
  });

  it("names every missing or wrong setting with what to do about it", () => {
    const findings = offlineChecks(
      "production",
      {
        ...goodEnv,
        STACKFLEET_PRODUCT: undefined,
        STACKFLEET_UPDATER_ACCOUNT_ID: "12345",
        STACKFLEET_JWKS_URL: "http://id.acme.test/jwks",
        STACKFLEET_MIN_GRACE_HOURS: "1",
      },
      undefined,
    );
    expect(failures(findings)).toEqual({
      product: expect.stringContaining("STACKFLEET_PRODUCT: is not set"),
      "updater account": expect.stringContaining("not a 12-digit account id"),
      "identity provider": expect.stringContaining("must be an https URL"),
      "executor floor": expect.stringContaining("at least 24 h"),
    });
  });

  it("refuses an approver key that is also a release key, and a release key list that does not parse", () => {
    const same = offlineChecks(
      "staging",
      { ...goodEnv, STACKFLEET_PINNED_APPROVER_KEYS: pins(["approver-1", release]) },
      undefined,
    );
    expect(failures(same)["approver keys"]).toMatch(/both as a release key and as an approver key/);
    const broken = offlineChecks("staging", { ...goodEnv, STACKFLEET_PINNED_KEYS: "[{" }, undefined);
    expect(failures(broken)["release keys"]).toMatch(/not JSON/);
    const none = offlineChecks("staging", { ...goodEnv, STACKFLEET_PINNED_KEYS: undefined }, undefined);
    expect(failures(none)["release keys"]).toMatch(/--trust-main-keys/);
    const trusted = offlineChecks("staging", { ...goodEnv, STACKFLEET_PINNED_KEYS: undefined }, undefined, {
      trustMainKeys: true,
    });
    expect(failures(trusted)).toEqual({});
  });

  it("after a deploy: missing outputs, and an executor outside the account customers trust", () => {
    const { STACKFLEET_EXECUTOR_ARN: _, ...partial } = updaterOutputs;
    const findings = offlineChecks("production", goodEnv, {
      main: mainOutputs,
      updater: { ...partial, STACKFLEET_EXECUTOR_ROLE_ARN: "arn:aws:iam::999999999999:role/executor" },
    });
    expect(failures(findings)).toEqual({
      "updater outputs": expect.stringContaining("STACKFLEET_EXECUTOR_ARN"),
      "updater placement": expect.stringContaining("customer templates would trust the wrong account"),
    });
    expect(failures(offlineChecks("production", goodEnv, { main: mainOutputs }))["updater outputs"]).toMatch(
      /npm run deploy -- --stage production/,
    );
  });
});

describe("doctor against the deployed stages", () => {
  const kms = mockClient(KMSClient);
  const lambda = mockClient(LambdaClient);
  afterEach(() => {
    kms.reset();
    lambda.reset();
  });

  const executorEnv = {
    STACKFLEET_PINNED_KEYS: goodEnv.STACKFLEET_PINNED_KEYS!,
  };
  const run = (health = 200) =>
    awsChecks(
      "production",
      { main: mainOutputs, updater: updaterOutputs },
      {
        main: { kms: new KMSClient({}), lambda: new LambdaClient({}) },
        updater: { lambda: new LambdaClient({}) },
        fetch: async () => Response.json({ store: { reachable: health === 200 } }, { status: health }),
      },
    );

  it("finds a deployed API that holds a signing key, an executor that would not start, a release key it does not trust", async () => {
    lambda
      .on(GetFunctionConfigurationCommand, { FunctionName: updaterOutputs.STACKFLEET_EXECUTOR_ARN })
      .resolves({ Environment: { Variables: executorEnv } })
      .on(GetFunctionConfigurationCommand, { FunctionName: "stackfleet-production-api" })
      .resolves({ Environment: { Variables: { STACKFLEET_SIGNING_KEY_ARN: "arn:aws:kms:eu-west-1:1:key/x" } } });
    const other = key().publicKey.export({ type: "spki", format: "der" });
    kms.on(GetPublicKeyCommand).resolves({ PublicKey: new Uint8Array(other) });
    const found = failures(await run(503));
    expect(found).toEqual({
      "executor configuration": expect.stringContaining("would not start"),
      "api configuration": expect.stringContaining("must only verify"),
      "release key pinned": expect.stringContaining("does not trust the release key"),
      "api health": expect.stringContaining("answered 503"),
    });
  });

  it("says which account's credentials are missing instead of failing", async () => {
    lambda
      .on(GetFunctionConfigurationCommand)
      .rejects(Object.assign(new Error("no creds"), { name: "CredentialsProviderError" }));
    kms
      .on(GetPublicKeyCommand)
      .resolves({ PublicKey: new Uint8Array(release.publicKey.export({ type: "spki", format: "der" })) });
    const found = failures(await run());
    expect(found["executor configuration"]).toMatch(/CredentialsProviderError.*credentials for that account/);
    expect(found["release key pinned"]).toMatch(/cannot compare/);
  });
});

describe("stackfleet doctor", () => {
  afterEach(() => vi.unstubAllEnvs());

  it("prints a table of findings and exits 1 when one fails, 0 when all pass", async () => {
    for (const [name, value] of Object.entries(goodEnv)) vi.stubEnv(name, value);
    const records = tempDir();
    // Before any deploy: the environment alone, and it is complete.
    expect((await cli(["doctor", "--stage", "production", "--records", records])).code).toBe(0);

    mkdirSync(records, { recursive: true });
    writeFileSync(join(records, "production.json"), JSON.stringify(mainOutputs));
    const bad = await cli(["doctor", "--stage", "production", "--records", records]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/FAIL\s+updater outputs\s+no recorded outputs for "production-updater"/);
    expect(bad.stderr).toMatch(/check\(s\) failed/);

    writeFileSync(join(records, "production-updater.json"), JSON.stringify(updaterOutputs));
    const good = await cli(["doctor", "--stage", "production", "--records", records, "--json"]);
    expect(good.code).toBe(0);
    const { findings } = JSON.parse(good.stdout) as { findings: Finding[] };
    expect(findings.every((f) => f.status !== "fail")).toBe(true);
  });
});
