import { CloudFormationClient, type Stack } from "@aws-sdk/client-cloudformation";
import { describe, expect, it } from "vitest";
import { dangerousChanges, parametersFor } from "../src/executor/changeset";
import { assessStack, checkLiveStack } from "../src/executor/stack";
import type { IntegrationRecord } from "../src/integration/integration";
import { eligibility } from "../src/rollout/eligibility";
import type { VersionRecord } from "../src/version/version";

const integration = (over: Partial<IntegrationRecord> = {}) =>
  ({
    status: "connected",
    autoUpdate: true,
    updateRoleArn: "arn:aws:iam::333333333333:role/Acme-updater-eu-west-1",
    currentVersion: "1.0.0",
    skippedVersions: [],
    ...over,
  }) as IntegrationRecord;
const version = (over: Partial<VersionRecord> = {}) =>
  ({ version: "1.1.0", state: "published", approvalRequired: false, ...over }) as VersionRecord;

describe("executor eligibility (table side)", () => {
  it("allows a connected, opted-in integration behind a published version", () => {
    expect(eligibility(integration(), version())).toEqual({ eligible: true });
  });
  it.each([
    ["not connected", integration({ status: "access-lost" }), version(), "ineligible", /access-lost/],
    ["auto-update off", integration({ autoUpdate: false }), version(), "ineligible", /auto-update is off/],
    ["no update role", integration({ updateRoleArn: undefined }), version(), "ineligible", /no update role/],
    ["skipped", integration({ skippedVersions: ["1.1.0"] }), version(), "skipped", /skipped/],
    ["version halted", integration(), version({ state: "halted" }), "ineligible", /halted/],
    ["awaiting approval", integration(), version({ approvalRequired: true }), "ineligible", /approval/],
    [
      "not newer (semver, not string order)",
      integration({ currentVersion: "1.10.0" }),
      version({ version: "1.9.0" }),
      "ineligible",
      /already at 1\.10\.0/,
    ],
  ] as const)("refuses when %s", (_, i, v, state, reason) => {
    const verdict = eligibility(i, v);
    expect(verdict).toMatchObject({ eligible: false, state });
    expect(verdict.eligible === false && verdict.reason).toMatch(reason);
  });
});

describe("live stack checks", () => {
  const stack = (StackStatus: string, enable = "true", StackName = "Acme-integration"): Stack => ({
    StackName,
    StackStatus: StackStatus as Stack["StackStatus"],
    CreationTime: new Date(),
    Parameters: [{ ParameterKey: "EnableAutoUpdate", ParameterValue: enable }],
  });

  it("refuses a stack outside the prefix before any call", async () => {
    // Nothing listens on port 1: any request would fail the test with a network error instead.
    const unreachable = new CloudFormationClient({
      endpoint: "http://127.0.0.1:1",
      region: "eu-west-1",
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
      maxAttempts: 1,
    });
    expect(await checkLiveStack(unreachable, "Other-integration", "Acme")).toMatchObject({
      ok: false,
      kind: "outside_prefix",
    });
    expect(
      assessStack("Acme-integration", "Acme", stack("UPDATE_COMPLETE", "true", "Acmex-integration")),
    ).toMatchObject({ ok: false, kind: "outside_prefix" });
  });
  it("honours the live EnableAutoUpdate over the table", () => {
    expect(assessStack("Acme-integration", "Acme", stack("UPDATE_COMPLETE", "false"))).toMatchObject({
      ok: false,
      kind: "auto_update_off",
    });
  });
  it.each(["ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS"])(
    "says not now for %s",
    (status) => {
      expect(assessStack("Acme-integration", "Acme", stack(status))).toMatchObject({
        ok: false,
        kind: "not_updatable",
      });
    },
  );
  it.each(["CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE"])("accepts %s", (status) => {
    expect(assessStack("Acme-integration", "Acme", stack(status))).toMatchObject({ ok: true });
  });
});

describe("change set inputs", () => {
  it("keeps every existing parameter (protected ones always), lets new and manifest-listed ones default", () => {
    const live = new Map([
      ["ExternalId", "x"],
      ["EnableAutoUpdate", "true"],
      ["PermissionsBoundaryArn", ""],
      ["LogLevel", "debug"],
    ]);
    expect(
      parametersFor(["ExternalId", "EnableAutoUpdate", "PermissionsBoundaryArn", "LogLevel", "NewThing"], live, {
        parameters: ["LogLevel"],
      }),
    ).toEqual([
      { ParameterKey: "ExternalId", UsePreviousValue: true },
      { ParameterKey: "EnableAutoUpdate", UsePreviousValue: true },
      { ParameterKey: "PermissionsBoundaryArn", UsePreviousValue: true },
    ]);
  });
  it("flags a change set that replaces or deletes the update or service role", () => {
    const change = (
      LogicalResourceId: string,
      Action: "Modify" | "Remove",
      Replacement?: "True" | "False" | "Conditional",
    ) => ({ Type: "Resource" as const, ResourceChange: { LogicalResourceId, Action, Replacement } });
    expect(
      dangerousChanges({
        Changes: [
          change("UpdateRole", "Modify", "True"),
          change("CloudFormationServiceRole", "Remove"),
          change("IntegrationRole", "Modify", "True"),
          change("UpdateRole", "Modify", "False"),
        ],
        $metadata: {},
      }),
    ).toEqual(["replaces UpdateRole", "deletes CloudFormationServiceRole"]);
  });
});
