import { generateKeyPairSync } from "node:crypto";

/**
 * A complete environment for the executor's Lambda entry, which validates its configuration at
 * import as in AWS (bench/cold-import.ts, test/bundle.test.ts). Loopback credentials only.
 */
export function executorEnvironment(overrides: Record<string, string> = {}): Record<string, string> {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const arn = (service: string, resource: string) => `arn:aws:${service}:us-east-1:222222222222:${resource}`;
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "AKIDBENCH",
    AWS_SECRET_ACCESS_KEY: "bench",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    STACKFLEET_VENDOR_NAME: "Acme",
    STACKFLEET_PRODUCT: "acme",
    STACKFLEET_STACK_PREFIX: "Acme",
    STACKFLEET_VENDOR_ACCOUNT_ID: "111111111111",
    STACKFLEET_UPDATER_ACCOUNT_ID: "222222222222",
    STACKFLEET_EXECUTOR_ROLE_NAME: "acme-updater-executor",
    STACKFLEET_API_BASE_URL: "https://api.example.com",
    STACKFLEET_TEMPLATE_BASE_URL: "https://templates.example.com",
    STACKFLEET_TABLE: "stackfleet",
    STACKFLEET_UPDATER_TABLE: "stackfleet-updater",
    STACKFLEET_TEMPLATE_BUCKET: "acme-templates",
    STACKFLEET_PINNED_KEYS: JSON.stringify([
      { keyId: "bench-key", publicKeyPem: publicKey.export({ type: "spki", format: "pem" }) },
    ]),
    STACKFLEET_SCHEDULE_GROUP: "stackfleet-runs",
    STACKFLEET_EXECUTOR_ARN: arn("lambda", "function:executor"),
    STACKFLEET_SCHEDULER_ROLE_ARN: "arn:aws:iam::222222222222:role/scheduler",
    STACKFLEET_SCHEDULE_DLQ_ARN: arn("sqs", "runs-dlq"),
    STACKFLEET_NOTIFICATION_TOPIC_ARN: arn("sns", "notifications"),
    ...overrides,
  };
}
