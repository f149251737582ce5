import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, stopExpectingNoErrors, type TestStack } from "../support/local-stack";

/**
 * The vendor permissions boundary outlives its stack, so with a fixed name the same account+Region
 * could not be connected twice. End to end (real API, quick-create link, registration callback):
 * the customer retries a create that rolled back as the console says, and reconnects after an
 * uninstall. Each test works in its own account+Region.
 */
let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(() => stopExpectingNoErrors(stack));

const TENANT = "ten_reinstall";
const ACCOUNT = "333333333333";

async function createIntegration(region: string) {
  const token = await stack.tokenFor("tenant-admin", TENANT);
  const res = await stack.api("POST", "/v1/integrations", token, { accountId: ACCOUNT, region });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; install: { quickCreateUrl: string } };
}
const statusOf = async (id: string) =>
  (await stack.api("GET", `/v1/integrations/${id}`, await stack.tokenFor("tenant-admin", TENANT))).body.status;

describe("connecting the same account+Region again", () => {
  it("retries a create that rolled back: delete the failed stack, install the same link again", async () => {
    const created = await createIntegration("eu-west-3");
    // A wrong ExternalId makes the registration refuse: the create rolls back, as under our faults.
    const failed = await stack.installFromQuickCreate(created.install.quickCreateUrl, ACCOUNT, {
      parameters: { ExternalId: "wrong-external-id-000000" },
    });
    expect(failed.StackStatus).toBe("ROLLBACK_COMPLETE");
    expect((await stack.deleteStack(ACCOUNT, "eu-west-3", failed.StackId!)).StackStatus).toBe("DELETE_COMPLETE");

    const retried = await stack.installFromQuickCreate(created.install.quickCreateUrl, ACCOUNT);
    expect(retried.StackStatus, retried.StackStatusReason).toBe("CREATE_COMPLETE");
    expect(await statusOf(created.id)).toBe("connected");
  });

  it("reconnects after the customer uninstalled: a new integration, a new stack, no name collision", async () => {
    const first = await createIntegration("ap-south-1");
    const installed = await stack.installFromQuickCreate(first.install.quickCreateUrl, ACCOUNT);
    expect(installed.StackStatus, installed.StackStatusReason).toBe("CREATE_COMPLETE");
    expect((await stack.deleteStack(ACCOUNT, "ap-south-1", installed.StackId!)).StackStatus).toBe("DELETE_COMPLETE");
    expect(await statusOf(first.id)).toBe("removed");

    const again = await createIntegration("ap-south-1");
    const reinstalled = await stack.installFromQuickCreate(again.install.quickCreateUrl, ACCOUNT);
    expect(reinstalled.StackStatus, reinstalled.StackStatusReason).toBe("CREATE_COMPLETE");
    expect(await statusOf(again.id)).toBe("connected");
  });
});
