import { describe, expect, it } from "vitest";
import { eligibility } from "../src/rollout/eligibility";
import { waveOf } from "../src/rollout/rollout-record";
import { plannedRunId } from "../src/run/run-id";

const integration = {
  status: "connected" as const,
  autoUpdate: true,
  updateRoleArn: "arn:aws:iam::333333333333:role/Acme-update",
  skippedVersions: [] as string[],
  currentVersion: "1.0.0",
};
const version = { version: "1.10.0", state: "published" as const, approvalRequired: false, approvedBy: undefined };

describe("eligibility (the table-side checks)", () => {
  it("accepts a connected, auto-updating integration behind a published version", () => {
    expect(eligibility(integration, version)).toEqual({ eligible: true });
  });

  it.each([
    [{ ...integration, status: "pending" as const }, version, "ineligible", "integration is pending"],
    [{ ...integration, status: "access-lost" as const }, version, "ineligible", "integration is access-lost"],
    [{ ...integration, autoUpdate: false }, version, "ineligible", "auto-update is off"],
    [{ ...integration, updateRoleArn: undefined }, version, "ineligible", "the stack has no update role"],
    [integration, { ...version, state: "halted" as const }, "ineligible", "version 1.10.0 is halted"],
    [integration, { ...version, approvalRequired: true }, "ineligible", "awaits an operator's approval"],
    [{ ...integration, skippedVersions: ["1.10.0"] }, version, "skipped", "the customer skipped version 1.10.0"],
    // Semver, not strings: "1.9.0" < "1.10.0".
    [{ ...integration, currentVersion: "1.10.0" }, version, "ineligible", "already at 1.10.0"],
    [{ ...integration, currentVersion: "2.0.0" }, version, "ineligible", "already at 2.0.0"],
  ])("refuses %#", (i, v, state, reason) => {
    expect(eligibility(i, v)).toEqual({ eligible: false, state, reason: expect.stringContaining(reason) });
  });

  it("treats 1.9.0 → 1.10.0 as newer", () => {
    expect(eligibility({ ...integration, currentVersion: "1.9.0" }, version)).toEqual({ eligible: true });
  });
});

describe("planned run ids and canary membership", () => {
  it("derives run_ + 26 Crockford characters from version, integration and attempt", () => {
    const id = plannedRunId("1.1.0", "int_01JD0000000000000000000000", 1);
    expect(id).toMatch(/^run_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(plannedRunId("1.1.0", "int_01JD0000000000000000000000", 1)).toBe(id);
    expect(plannedRunId("1.1.0", "int_01JD0000000000000000000000", 2)).not.toBe(id);
    expect(plannedRunId("1.1.1", "int_01JD0000000000000000000000", 1)).not.toBe(id);
  });

  it("puts named ids in the canary and about the percentage of the rest, differently per version", () => {
    const ids = Array.from({ length: 4000 }, (_, i) => `int_${String(i).padStart(26, "0")}`);
    const policy = { canary: { integrationIds: [ids[7]!], percentage: 10 } };
    const canary = ids.filter((id) => waveOf(policy, "1.1.0", id) === "canary");
    expect(canary).toContain(ids[7]);
    expect(canary.length).toBeGreaterThan(340);
    expect(canary.length).toBeLessThan(460);
    const next = ids.filter((id) => waveOf(policy, "1.2.0", id) === "canary");
    expect(next.filter((id) => canary.includes(id)).length).toBeLessThan(canary.length / 2);
    expect(ids.every((id) => waveOf({}, "1.1.0", id) === "main")).toBe(true);
  });
});
