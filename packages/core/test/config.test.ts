import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ApiConfig, CONFIG_ENV, ExecutorConfig, fromEnv, PlannerConfig } from "../src/config";

const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" });
const pinned = JSON.stringify([{ keyId: "k1", publicKeyPem: pem }]);

const product = {
  [CONFIG_ENV.vendorName]: "Acme Security",
  [CONFIG_ENV.product]: "acme",
  [CONFIG_ENV.stackPrefix]: "Acme",
  [CONFIG_ENV.vendorAccountId]: "111111111111",
  [CONFIG_ENV.updaterAccountId]: "222222222222",
  [CONFIG_ENV.executorRoleName]: "acme-executor",
  [CONFIG_ENV.apiBaseUrl]: "https://api.example.com",
  [CONFIG_ENV.templateBaseUrl]: "https://t.s3.us-east-1.amazonaws.com/templates",
};
const schedule = {
  STACKFLEET_SCHEDULE_GROUP: "stackfleet",
  STACKFLEET_EXECUTOR_ARN: "arn:aws:lambda:us-east-1:222222222222:function:exec",
  STACKFLEET_SCHEDULER_ROLE_ARN: "arn:aws:iam::222222222222:role/sched",
  STACKFLEET_SCHEDULE_DLQ_ARN: "arn:aws:sqs:us-east-1:222222222222:dlq",
};
const executorEnv = {
  ...product,
  ...schedule,
  STACKFLEET_TABLE: "arn:aws:dynamodb:us-east-1:111111111111:table/t",
  STACKFLEET_TEMPLATE_BUCKET: "acme-templates",
  STACKFLEET_PINNED_KEYS: pinned,
  STACKFLEET_UPDATER_TABLE: "stackfleet-production-updater-UpdaterState",
};
const apiEnv = {
  ...product,
  STACKFLEET_TABLE: "t",
  STACKFLEET_TEMPLATE_BUCKET: "acme-templates",
  STACKFLEET_PINNED_KEYS: pinned,
  STACKFLEET_NOTIFICATION_TOPIC_ARN: "arn:aws:sns:us-east-1:111111111111:notes",
  STACKFLEET_JWT_ISSUER: "https://idp.example.com/",
  STACKFLEET_JWT_AUDIENCE: "stackfleet",
  STACKFLEET_JWKS_URL: "https://idp.example.com/.well-known/jwks.json",
  STACKFLEET_CURSOR_KEY: Buffer.alloc(32, 7).toString("base64"),
  STACKFLEET_PLANNER_FUNCTION: "acme-planner",
};

describe("fromEnv", () => {
  it("reads the executor's configuration into its shape", () => {
    const config = fromEnv(ExecutorConfig, executorEnv);
    expect(config.product).toMatchObject({ product: "acme", stackPrefix: "Acme" });
    expect(config.schedule).toEqual({
      groupName: "stackfleet",
      executorArn: schedule.STACKFLEET_EXECUTOR_ARN,
      schedulerRoleArn: schedule.STACKFLEET_SCHEDULER_ROLE_ARN,
      deadLetterArn: schedule.STACKFLEET_SCHEDULE_DLQ_ARN,
    });
    expect(config.pinnedKeys).toEqual([{ keyId: "k1", publicKeyPem: pem }]);
    expect(config.notificationTopicArn).toBeUndefined();
    expect(config.floor).toEqual({ updaterTable: "stackfleet-production-updater-UpdaterState", minGraceHours: 24 });
  });

  it("takes the executor's floor from the updater's configuration and refuses a release key pinned as approver", () => {
    const floor = fromEnv(ExecutorConfig, { ...executorEnv, STACKFLEET_MIN_GRACE_HOURS: "48" }).floor;
    expect(floor.minGraceHours).toBe(48);
    expect(() => fromEnv(ExecutorConfig, { ...executorEnv, STACKFLEET_PINNED_APPROVER_KEYS: pinned })).toThrow(
      /STACKFLEET_PINNED_APPROVER_KEYS: .*both as a release key and as an approver key/,
    );
    expect(() => fromEnv(ExecutorConfig, { ...executorEnv, STACKFLEET_MIN_GRACE_HOURS: "-1" })).toThrow(
      /STACKFLEET_MIN_GRACE_HOURS: /,
    );
  });

  it("names every missing and malformed variable at once", () => {
    const { STACKFLEET_TABLE: _, STACKFLEET_SCHEDULE_GROUP: __, ...rest } = executorEnv;
    const attempt = () =>
      fromEnv(ExecutorConfig, { ...rest, [CONFIG_ENV.vendorAccountId]: "12", STACKFLEET_PINNED_KEYS: "[]" });
    expect(attempt).toThrow(/STACKFLEET_TABLE: /);
    expect(attempt).toThrow(/STACKFLEET_SCHEDULE_GROUP: /);
    expect(attempt).toThrow(/STACKFLEET_VENDOR_ACCOUNT_ID: must be a 12-digit AWS account id/);
    expect(attempt).toThrow(/STACKFLEET_PINNED_KEYS: .*at least one key/);
  });

  it("treats an empty variable as unset", () => {
    expect(() => fromEnv(ExecutorConfig, { ...executorEnv, STACKFLEET_TABLE: " " })).toThrow(/STACKFLEET_TABLE: /);
  });

  it("applies the API's tuning defaults and parses the set ones", () => {
    expect(fromEnv(ApiConfig, apiEnv)).toMatchObject({
      grace: { defaultHours: 24, broadeningHours: 72, requireApprovalWhenBroadened: false },
      manifestLifetimeDays: 90,
      planBudgetMs: 20_000,
      schedule: undefined,
      plannerFunction: "acme-planner",
      createScheduleRate: 4_500,
      planConcurrency: 16,
    });
    const tuned = fromEnv(ApiConfig, {
      ...apiEnv,
      STACKFLEET_GRACE_HOURS: "48",
      STACKFLEET_REQUIRE_APPROVAL_WHEN_BROADENED: "true",
    });
    expect(tuned.grace).toEqual({ defaultHours: 48, broadeningHours: 72, requireApprovalWhenBroadened: true });
    expect(() => fromEnv(ApiConfig, { ...apiEnv, STACKFLEET_REQUIRE_APPROVAL_WHEN_BROADENED: "yes" })).toThrow(
      /STACKFLEET_REQUIRE_APPROVAL_WHEN_BROADENED: /,
    );
    expect(() => fromEnv(ApiConfig, { ...apiEnv, STACKFLEET_GRACE_HOURS: "soon" })).toThrow(/STACKFLEET_GRACE_HOURS: /);
  });

  it("reads the shared cursor key, dashboard origins and pending lifetime, refusing weak or malformed ones", () => {
    const api = fromEnv(ApiConfig, {
      ...apiEnv,
      STACKFLEET_CORS_ORIGINS: "https://dash.acme.test, http://localhost:5173",
      STACKFLEET_PENDING_TTL_DAYS: "3",
    });
    expect(Buffer.from(api.cursorKey)).toEqual(Buffer.alloc(32, 7));
    expect(api.corsOrigins).toEqual(["https://dash.acme.test", "http://localhost:5173"]);
    expect(api.pendingDays).toBe(3);
    expect(fromEnv(ApiConfig, apiEnv)).toMatchObject({ corsOrigins: [], pendingDays: 7 });
    const { STACKFLEET_CURSOR_KEY: _, ...withoutKey } = apiEnv;
    expect(() => fromEnv(ApiConfig, withoutKey)).toThrow(/STACKFLEET_CURSOR_KEY/);
    expect(() => fromEnv(ApiConfig, { ...apiEnv, STACKFLEET_CURSOR_KEY: "c2hvcnQ=" })).toThrow(/STACKFLEET_CURSOR_KEY/);
    expect(() => fromEnv(ApiConfig, { ...apiEnv, STACKFLEET_CORS_ORIGINS: "*" })).toThrow(/STACKFLEET_CORS_ORIGINS/);
    expect(() => fromEnv(ApiConfig, { ...apiEnv, STACKFLEET_PENDING_TTL_DAYS: "0" })).toThrow(
      /STACKFLEET_PENDING_TTL_DAYS/,
    );
  });

  it("takes the schedule group all or nothing", () => {
    const planner = { ...apiEnv, ...schedule, STACKFLEET_SCHEDULE_REGION: "eu-west-1" };
    expect(fromEnv(PlannerConfig, planner).schedule).toMatchObject({ groupName: "stackfleet", region: "eu-west-1" });
    const { STACKFLEET_SCHEDULE_DLQ_ARN: _, ...partial } = planner;
    expect(() => fromEnv(PlannerConfig, partial)).toThrow(/STACKFLEET_SCHEDULE_DLQ_ARN: /);
  });

  it("gives the API approver keys to verify with, and refuses one key pinned as both release and approver", () => {
    const approverPem = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
      type: "spki",
      format: "pem",
    });
    const approvers = JSON.stringify([{ keyId: "a1", publicKeyPem: approverPem }]);
    const api = fromEnv(ApiConfig, { ...apiEnv, STACKFLEET_PINNED_APPROVER_KEYS: approvers });
    expect(api.pinnedApproverKeys).toEqual([{ keyId: "a1", publicKeyPem: approverPem }]);
    expect(fromEnv(ApiConfig, apiEnv).pinnedApproverKeys).toBeUndefined();
    const sameKey = JSON.stringify([{ keyId: "a1", publicKeyPem: pem }]);
    expect(() => fromEnv(ApiConfig, { ...apiEnv, STACKFLEET_PINNED_APPROVER_KEYS: sameKey })).toThrow(
      /STACKFLEET_PINNED_APPROVER_KEYS: .*both as a release key and as an approver key/,
    );
  });
});
