import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  computeChangelogFromBytes,
  GracePolicy,
  gracePeriodFor,
  renderMarkdown,
  renderText,
} from "../src/changelog/index";

const fixture = (name: string) => readFileSync(new URL(`./fixtures/changelog/${name}`, import.meta.url));
const v1ToV2 = computeChangelogFromBytes(fixture("v1.yaml"), fixture("v2.yaml"), { from: "1.0.0", to: "2.0.0" });
const v2ToV1 = computeChangelogFromBytes(fixture("v2.yaml"), fixture("v1.yaml"));
const none = computeChangelogFromBytes(fixture("v1.yaml"), fixture("v1.json"));

describe("renderMarkdown", () => {
  it("leads with the broadening warning and the versions compared", () => {
    expect(renderMarkdown(v1ToV2).split("\n")[0]).toBe("## ⚠ Broadens permissions (1.0.0 → 2.0.0)");
  });

  it("says so when permissions change without broadening, and when nothing changes", () => {
    expect(renderMarkdown(v2ToV1).split("\n")[0]).toBe("## Changes permissions without broadening them");
    expect(renderMarkdown(none)).toBe("## No permission changes\n\nNo changes between these versions.\n");
  });

  it("lists each permission with its role, action, scope, condition and policy, marking broadening ones", () => {
    const md = renderMarkdown(v1ToV2);

    expect(md).toContain(
      "- ⚠ `IntegrationRole`: Allow `cloudtrail:LookupEvents` on `*` when ReadCloudTrail (IntegrationRole/ReadCloudTrail)",
    );
    expect(md).toContain(
      "- ⚠ `UpdateRole`: Allow `cloudformation:DeleteChangeSet` on `arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${StackPrefix}-*` if `StringLikeIfExists cloudformation:TemplateUrl = https://acme-templates.s3.amazonaws.com/*` when AutoUpdateEnabled",
    );
    expect(md).toMatch(/### Permissions removed\n\n- `IntegrationRole`: Allow `s3:GetObject`/);
  });

  it("escapes wildcards in plain-text reasons so they do not turn into emphasis", () => {
    expect(renderMarkdown(v1ToV2)).toContain(
      "— new Allow not covered by the previous version; wildcard action ec2:Describe\\*; all resources (\\*)",
    );
    expect(renderText(v1ToV2)).toContain("wildcard action ec2:Describe*; all resources (*)");
  });

  it("describes trust changes, renames and replacements", () => {
    const md = renderMarkdown(v1ToV2);

    expect(md).toContain(
      "- ⚠ `UpdateRole` now trusts `AWS:arn:${AWS::Partition}:iam::${UpdaterAccountId}:role/acme-executor-canary` for `sts:AssumeRole`",
    );
    expect(md).toContain("Renamed `AuditBucket` → `AuditLogBucket` (AWS::S3::Bucket)");
    expect(md).toContain("- ⚠ Renamed `AuditRole` → `IntegrationRole` (AWS::IAM::Role)");
    expect(md).toContain("- Modified `CloudFormationServiceRole` (AWS::IAM::Role) — **replaced**: RoleName (replaces)");
    expect(md).toContain("### Parameters\n\n- Added `EnableCloudTrailRead`");
  });

  it("renders for terminals without Markdown code spans", () => {
    const text = renderText(v1ToV2);

    expect(text).not.toContain("`");
    expect(text).toContain("- ⚠ UpdateRole now trusts AWS:arn:");
  });
});

describe("gracePeriodFor", () => {
  const policy: GracePolicy = { defaultHours: 24, broadeningHours: 72, requireApprovalWhenBroadened: true };

  it("gives the default grace period when permissions do not broaden", () => {
    expect(gracePeriodFor(v2ToV1, policy)).toEqual({ graceHours: 24, approvalRequired: false });
  });

  it("gives the longer period, and asks for approval when configured, when they do", () => {
    expect(gracePeriodFor(v1ToV2, policy)).toEqual({ graceHours: 72, approvalRequired: true });
    expect(gracePeriodFor(v1ToV2, { ...policy, requireApprovalWhenBroadened: false })).toEqual({
      graceHours: 72,
      approvalRequired: false,
    });
  });

  it("never shortens the grace period for a broadening version", () => {
    expect(gracePeriodFor(v1ToV2, { ...policy, broadeningHours: 1 }).graceHours).toBe(24);
  });

  it("validates a configured policy", () => {
    expect(
      GracePolicy.safeParse({ defaultHours: -1, broadeningHours: 72, requireApprovalWhenBroadened: false }).success,
    ).toBe(false);
  });
});
