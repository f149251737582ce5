import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { REGISTRATION_HANDLER_SOURCE } from "../src/template/customer/registration-handler";
import { captureServer, json, type Reply } from "./support/capture-server";
import { CUSTOMER_ACCOUNT, EXTERNAL_ID, REGION } from "./support/customer-fixture";

/**
 * The inline registration function, run from its exact source as Lambda would load it (a CommonJS
 * file), against a local "vendor API" and a local "CloudFormation ResponseURL".
 */
type Handler = (event: unknown, context: unknown) => Promise<void>;
let handler: Handler;

beforeAll(() => {
  // The function logs one line per request for the customer's CloudWatch; keep test output clean.
  vi.spyOn(console, "log").mockImplementation(() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "stackfleet-registration-"));
  const file = join(dir, "index.cjs");
  writeFileSync(file, REGISTRATION_HANDLER_SOURCE);
  handler = (createRequire(import.meta.url)(file) as { handler: Handler }).handler;
});

const servers: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const STACK_ID = `arn:aws:cloudformation:${REGION}:${CUSTOMER_ACCOUNT}:stack/Acme-integration/4a9f1c70-a7b2-11ef-9d2e-0a1b2c3d4e5f`;
const role = (name: string) => `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/${name}`;

async function setup(api: Reply) {
  const vendor = await captureServer(api);
  const cloudformation = await captureServer((_req, res) => res.writeHead(200).end());
  servers.push(vendor, cloudformation);
  return { vendor, cloudformation };
}

function event(
  requestType: "Create" | "Update" | "Delete",
  callbackUrl: string,
  responseUrl: string,
  overrides: Record<string, unknown> = {},
) {
  return {
    RequestType: requestType,
    ServiceToken: `arn:aws:lambda:${REGION}:${CUSTOMER_ACCOUNT}:function:Acme-registration`,
    ResponseURL: `${responseUrl}/presigned?X-Amz-Signature=abc`,
    StackId: STACK_ID,
    RequestId: "5d2b1c1e-0000-4000-8000-000000000001",
    ResourceType: "Custom::StackfleetRegistration",
    LogicalResourceId: "Registration",
    ...(requestType === "Create" ? {} : { PhysicalResourceId: "stackfleet-registration:existing" }),
    ResourceProperties: {
      ServiceToken: "ignored",
      Vendor: "Acme Security",
      CallbackUrl: `${callbackUrl}/v1/registrations`,
      ExternalId: EXTERNAL_ID,
      IntegrationRoleArn: role("Acme-integration-eu-west-1"),
      UpdateRoleArn: role("Acme-updater-eu-west-1"),
      ServiceRoleArn: role("Acme-cfn-service-eu-west-1"),
      AccountId: CUSTOMER_ACCOUNT,
      Region: REGION,
      StackName: "Acme-integration",
      TemplateVersion: "1.0.0",
      EnableAutoUpdate: "true",
    },
    ...overrides,
  };
}

const lambdaContext = (remainingMs = 60_000) => {
  const end = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => end - Date.now() };
};

const answer = (cloudformation: { requests: Array<{ body: string }> }) => {
  expect(cloudformation.requests).toHaveLength(1);
  return JSON.parse(cloudformation.requests[0]!.body) as Record<string, unknown>;
};

describe("registration function", () => {
  it("posts the stack's registration to the API and answers CloudFormation SUCCESS", async () => {
    const { vendor, cloudformation } = await setup(json(200, { ok: true }));
    await handler(event("Create", vendor.url, cloudformation.url), lambdaContext());

    expect(vendor.requests).toHaveLength(1);
    expect(vendor.requests[0]).toMatchObject({ method: "POST", path: "/v1/registrations" });
    expect(vendor.requests[0]!.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(vendor.requests[0]!.body)).toEqual({
      requestType: "Create",
      requestId: "5d2b1c1e-0000-4000-8000-000000000001",
      externalId: EXTERNAL_ID,
      integrationRoleArn: role("Acme-integration-eu-west-1"),
      updateRoleArn: role("Acme-updater-eu-west-1"),
      serviceRoleArn: role("Acme-cfn-service-eu-west-1"),
      accountId: CUSTOMER_ACCOUNT,
      region: REGION,
      stackId: STACK_ID,
      stackName: "Acme-integration",
      templateVersion: "1.0.0",
      enableAutoUpdate: true,
    });

    expect(cloudformation.requests[0]).toMatchObject({ method: "PUT", path: "/presigned?X-Amz-Signature=abc" });
    // The presigned S3 URL signs no content type; CloudFormation's own cfn-response sends it empty.
    expect(cloudformation.requests[0]!.headers["content-type"] ?? "").toBe("");
    expect(answer(cloudformation)).toEqual({
      Status: "SUCCESS",
      Reason: "Registered",
      PhysicalResourceId: `stackfleet-registration:${STACK_ID}`,
      StackId: STACK_ID,
      RequestId: "5d2b1c1e-0000-4000-8000-000000000001",
      LogicalResourceId: "Registration",
    });
  });

  it("keeps the physical id on Update and reports auto-update off with no update role", async () => {
    const { vendor, cloudformation } = await setup(json(204, {}));
    const off = event("Update", vendor.url, cloudformation.url);
    Object.assign(off.ResourceProperties, { UpdateRoleArn: "", EnableAutoUpdate: "false" });
    await handler(off, lambdaContext());

    expect(JSON.parse(vendor.requests[0]!.body)).toMatchObject({
      requestType: "Update",
      updateRoleArn: null,
      enableAutoUpdate: false,
    });
    expect(answer(cloudformation)).toMatchObject({
      Status: "SUCCESS",
      PhysicalResourceId: "stackfleet-registration:existing",
    });
  });

  it("fails a Create the API refuses, with the API's reason, without retrying", async () => {
    const { vendor, cloudformation } = await setup(
      json(403, { error: { code: "external_id_unknown", message: "No integration has this ExternalId" } }),
    );
    await handler(event("Create", vendor.url, cloudformation.url), lambdaContext());

    expect(vendor.requests).toHaveLength(1);
    expect(answer(cloudformation)).toMatchObject({
      Status: "FAILED",
      Reason:
        "Acme Security refused the registration (HTTP 403): No integration has this ExternalId (external_id_unknown)",
    });
  });

  it("fails an Update the API refuses", async () => {
    const { vendor, cloudformation } = await setup(
      json(409, { error: { code: "external_id_changed", message: "ExternalId cannot change" } }),
    );
    await handler(event("Update", vendor.url, cloudformation.url), lambdaContext());
    expect(answer(cloudformation)).toMatchObject({
      Status: "FAILED",
      Reason: expect.stringContaining("ExternalId cannot change"),
    });
  });

  it("retries an API that errors, then lets an Update succeed so a rollback can never get stuck", async () => {
    const { vendor, cloudformation } = await setup(json(503, { error: { code: "unavailable", message: "try later" } }));
    await handler(event("Update", vendor.url, cloudformation.url), lambdaContext());

    expect(vendor.requests).toHaveLength(3);
    expect(answer(cloudformation)).toMatchObject({
      Status: "SUCCESS",
      Reason: "Acme Security could not register this stack (HTTP 503): try later (unavailable)",
    });
  });

  it("answers SUCCESS to a Delete even when the API is unreachable", async () => {
    const { vendor, cloudformation } = await setup(json(200, {}));
    const unreachable = vendor.url;
    await vendor.close();
    await handler(event("Delete", unreachable, cloudformation.url), lambdaContext(7_000));
    expect(answer(cloudformation)).toMatchObject({
      Status: "SUCCESS",
      Reason: expect.stringContaining("Acme Security could not be reached"),
      PhysicalResourceId: "stackfleet-registration:existing",
    });
  });

  it("fails a Create when the API is unreachable, saying so", async () => {
    const { vendor, cloudformation } = await setup(json(200, {}));
    const unreachable = vendor.url;
    await vendor.close();
    await handler(event("Create", unreachable, cloudformation.url), lambdaContext(7_000));
    expect(answer(cloudformation)).toMatchObject({
      Status: "FAILED",
      Reason: expect.stringMatching(/could not be reached: ECONNREFUSED/),
    });
  });

  it("gives up on a hanging API in time to answer CloudFormation before the Lambda deadline", async () => {
    const { vendor, cloudformation } = await setup(() => {
      /* never answers */
    });
    const started = Date.now();
    await handler(event("Create", vendor.url, cloudformation.url), lambdaContext(8_000));
    const elapsed = Date.now() - started;

    expect(elapsed).toBeLessThan(8_000 - 3_000);
    expect(answer(cloudformation)).toMatchObject({ Status: "FAILED", Reason: expect.stringContaining("timed out") });
  });

  it("still answers CloudFormation when the handler itself breaks", async () => {
    const { vendor, cloudformation } = await setup(json(200, {}));
    await handler(event("Create", vendor.url, cloudformation.url, { ResourceProperties: undefined }), lambdaContext());
    expect(vendor.requests).toHaveLength(0);
    expect(answer(cloudformation)).toMatchObject({
      Status: "FAILED",
      Reason: expect.stringContaining("Registration failed"),
    });

    const broken = await setup(json(200, {}));
    await handler(event("Delete", broken.vendor.url, broken.cloudformation.url), {});
    expect(answer(broken.cloudformation)).toMatchObject({
      Status: "SUCCESS",
      Reason: expect.stringContaining("Registration failed"),
    });
  });
});
