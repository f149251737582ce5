import { defineConfig } from "vitest/config";

// Versions are pinned in the lockfile; the SDK's Node 20 notice would repeat in every process.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "test/**/*.test.ts"],
    // One DynamoDB Local for the whole run; each test file creates its own table in it.
    globalSetup: ["test/setup/dynamodb.ts"],
    // Never reach a real AWS account by accident: no ambient credentials or profile in tests.
    env: {
      AWS_ACCESS_KEY_ID: "test",
      AWS_SECRET_ACCESS_KEY: "test",
      AWS_REGION: "us-east-1",
      AWS_PROFILE: "",
      AWS_SESSION_TOKEN: "",
      // Versions are pinned in the lockfile; the Node 20 support notice is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    },
    // Timeouts only catch hangs (timings live in bench/): generous, so a loaded 2-core CI box that
    // runs the e2e stories beside each other fails on behaviour, never on a slow moment.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
