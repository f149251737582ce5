import { generateKeyPairSync } from "node:crypto";
import { CONFIG_ENV, ExecutorConfig, fromEnv, type StackfleetConfig } from "@stackfleet/core/config";
import { describe, expect, it } from "vitest";
import { awsExecutorAdapters, EXECUTOR_TIMINGS } from "../src/wiring/executor";

const product: StackfleetConfig = {
  vendorName: "Acme Security",
  product: "acme",
  stackPrefix: "Acme",
  vendorAccountId: "111111111111",
  updaterAccountId: "222222222222",
  executorRoleName: "acme-executor",
  apiBaseUrl: "https://api.example.com",
  templateBaseUrl: "https://t.s3.us-east-1.amazonaws.com/templates",
};
const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" });
const env = {
  ...Object.fromEntries(Object.entries(CONFIG_ENV).map(([k, name]) => [name, product[k as keyof StackfleetConfig]])),
  STACKFLEET_TABLE: "stackfleet",
  STACKFLEET_UPDATER_TABLE: "stackfleet-updater",
  STACKFLEET_TEMPLATE_BUCKET: "acme-templates",
  STACKFLEET_PINNED_KEYS: JSON.stringify([{ keyId: "k1", publicKeyPem: pem }]),
  STACKFLEET_SCHEDULE_GROUP: "stackfleet",
  STACKFLEET_EXECUTOR_ARN: "arn:aws:lambda:us-east-1:222222222222:function:exec",
  STACKFLEET_SCHEDULER_ROLE_ARN: "arn:aws:iam::222222222222:role/sched",
  STACKFLEET_SCHEDULE_DLQ_ARN: "arn:aws:sqs:us-east-1:222222222222:dlq",
};

describe("the executor's AWS wiring", () => {
  it("waits 20 s for its one look after ExecuteChangeSet unless the deployment says otherwise", () => {
    const byDefault = awsExecutorAdapters(fromEnv(ExecutorConfig, env));
    expect(byDefault.timings?.watchMs).toEqual({ ...EXECUTOR_TIMINGS.watchMs, first: 20_000 });
    const configured = awsExecutorAdapters(fromEnv(ExecutorConfig, { ...env, STACKFLEET_FIRST_WATCH_SECONDS: "45" }));
    expect(configured.timings?.watchMs).toEqual({ ...EXECUTOR_TIMINGS.watchMs, first: 45_000 });
  });

  it("refuses a first wait that would keep a Lambda sleeping for minutes", () => {
    expect(() => fromEnv(ExecutorConfig, { ...env, STACKFLEET_FIRST_WATCH_SECONDS: "900" })).toThrow(
      /STACKFLEET_FIRST_WATCH_SECONDS: /,
    );
  });
});
