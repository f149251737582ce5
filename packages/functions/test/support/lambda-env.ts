import { generateKeyPairSync } from "node:crypto";
import { CONFIG_ENV, type StackfleetConfig } from "@stackfleet/core/config";

/** The vendor configuration the wiring tests deploy with. */
export const wiringProduct: StackfleetConfig = {
  vendorName: "Acme Security",
  product: "acme",
  stackPrefix: "Acme",
  vendorAccountId: "111111111111",
  updaterAccountId: "222222222222",
  executorRoleName: "acme-executor",
  apiBaseUrl: "https://api.example.com",
  templateBaseUrl: "https://t.s3.us-east-1.amazonaws.com/templates",
};

export const wiringSchedule = {
  groupName: "stackfleet",
  executorArn: "arn:aws:lambda:us-east-1:222222222222:function:exec",
  schedulerRoleArn: "arn:aws:iam::222222222222:role/sched",
  deadLetterArn: "arn:aws:sqs:us-east-1:222222222222:dlq",
};

const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" });

/** What `sst deploy` sets on the executor Lambda (the other functions add their own variables to it). */
export const executorEnv = {
  ...Object.fromEntries(
    Object.entries(CONFIG_ENV).map(([k, name]) => [name, wiringProduct[k as keyof StackfleetConfig]]),
  ),
  STACKFLEET_TABLE: "stackfleet",
  STACKFLEET_UPDATER_TABLE: "stackfleet-updater",
  STACKFLEET_TEMPLATE_BUCKET: "acme-templates",
  STACKFLEET_PINNED_KEYS: JSON.stringify([{ keyId: "k1", publicKeyPem: pem }]),
  STACKFLEET_SCHEDULE_GROUP: wiringSchedule.groupName,
  STACKFLEET_EXECUTOR_ARN: wiringSchedule.executorArn,
  STACKFLEET_SCHEDULER_ROLE_ARN: wiringSchedule.schedulerRoleArn,
  STACKFLEET_SCHEDULE_DLQ_ARN: wiringSchedule.deadLetterArn,
};
