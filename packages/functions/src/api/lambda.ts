import { Logger } from "@aws-lambda-powertools/logger";
import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client } from "@aws-sdk/client-s3";
import { STSClient } from "@aws-sdk/client-sts";
import { stsAssumeProbe } from "@stackfleet/core/access/probe";
import { createJwtVerifier } from "@stackfleet/core/auth";
import { GracePolicy } from "@stackfleet/core/changelog";
import { configFromEnv } from "@stackfleet/core/config";
import { createDocumentClient } from "@stackfleet/core/db/client";
import { createDeps } from "@stackfleet/core/deps";
import { KmsSigner, pinnedKeysFromEnv } from "@stackfleet/core/signing";
import { S3TemplateStore } from "@stackfleet/core/template-store";
import { handle } from "hono/aws-lambda";
import { continuePlan, isPlanContinuation } from "../plan-continuation";
import { rolloutFromEnv } from "../rollout-env";
import { createApp } from "./app";

const tableName = process.env.STACKFLEET_TABLE;
if (!tableName) throw new Error("STACKFLEET_TABLE is not set");

/** Fail at cold start rather than serve an API that cannot authenticate anyone. */
function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}
// Tokens come from the vendor's IdP; its JWKS is fetched and cached by jose.
const auth = createJwtVerifier({
  issuer: required("STACKFLEET_JWT_ISSUER"),
  audience: required("STACKFLEET_JWT_AUDIENCE"),
  jwks: new URL(required("STACKFLEET_JWKS_URL")),
});

const config = configFromEnv();
// The API's own role may assume only `<prefix>-integration-*` roles, and only to prove trust.
const access = { probe: stsAssumeProbe(new STSClient({})), stackPrefix: config.stackPrefix };

// Signing happens in KMS (the key never leaves it); the same pinned keys the executor trusts
// verify every publication before it is recorded.
const publishing = {
  release: {
    signer: new KmsSigner({ client: new KMSClient({}), keyId: required("STACKFLEET_SIGNING_KEY_ARN") }),
    store: new S3TemplateStore({
      client: new S3Client({}),
      bucket: required("STACKFLEET_TEMPLATE_BUCKET"),
      prefix: "templates/",
    }),
    pinnedKeys: pinnedKeysFromEnv(),
  },
  product: config.product,
  stackPrefix: config.stackPrefix,
  grace: GracePolicy.parse({
    defaultHours: Number(process.env.STACKFLEET_GRACE_HOURS ?? 24),
    broadeningHours: Number(process.env.STACKFLEET_BROADENING_GRACE_HOURS ?? 72),
    requireApprovalWhenBroadened: process.env.STACKFLEET_REQUIRE_APPROVAL_WHEN_BROADENED === "true",
  }),
  manifestLifetimeDays: Number(process.env.STACKFLEET_MANIFEST_LIFETIME_DAYS ?? 90),
};

const logger = new Logger({ serviceName: "stackfleet-api" });
const deps = createDeps(createDocumentClient(), tableName);
const rollout = rolloutFromEnv(deps);
const app = createApp(
  { ...deps, auth, config, access, publishing, rollout },
  {
    log: { error: (message, details) => logger.error(message, details) },
  },
);
const http = handle(app);

/** HTTP requests go to the app; the function's own asynchronous re-invocations continue rollout plans. */
export const handler = async (
  event: Parameters<typeof http>[0],
  context: Parameters<typeof http>[1] & { getRemainingTimeInMillis(): number },
) => {
  if (isPlanContinuation(event)) return continuePlan(deps, rollout, event, () => context.getRemainingTimeInMillis());
  return http(event, context);
};
