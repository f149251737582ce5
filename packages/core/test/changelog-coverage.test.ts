import { describe, expect, it } from "vitest";
import { actionCovers, conditionsCover, scopeCovers } from "../src/changelog/coverage";

const scope = (
  resources: string[],
  conditions: Record<string, Record<string, string[]>> | null = null,
  notResources: string[] = [],
) => ({
  resources,
  notResources,
  conditions,
});

describe("coverage (the basis of permissionsBroadened)", () => {
  it("matches IAM action patterns case-insensitively, in one direction only", () => {
    expect(actionCovers("s3:Get*", "s3:getobject")).toBe(true);
    expect(actionCovers("s3:GetObject", "s3:Get*")).toBe(false);
    expect(actionCovers("s3:Get?bject", "s3:GetObject")).toBe(true);
    expect(actionCovers("s3:Get?", "s3:Get*")).toBe(false);
  });

  it("keeps template references literal inside resource patterns", () => {
    expect(
      scopeCovers(
        scope(["arn:${AWS::Partition}:s3:::${Bucket}/*"]),
        scope(["arn:${AWS::Partition}:s3:::${Bucket}/logs/*"]),
      ),
    ).toBe(true);
    expect(
      scopeCovers(scope(["arn:${AWS::Partition}:s3:::${Bucket}/*"]), scope(["arn:${AWS::Partition}:s3:::${Other}/*"])),
    ).toBe(false);
  });

  it("treats fewer allowed values as stricter, and reads wildcards only for Like/Arn operators", () => {
    const like = { StringLike: { "cloudformation:TemplateUrl": ["https://acme/*"] } };
    expect(conditionsCover(like, { StringLike: { "cloudformation:TemplateUrl": ["https://acme/v2/*"] } })).toBe(true);
    expect(
      conditionsCover(
        { StringEquals: { "aws:PrincipalTag/team": ["a*"] } },
        { StringEquals: { "aws:PrincipalTag/team": ["abc"] } },
      ),
    ).toBe(false);
    expect(
      conditionsCover(
        { StringEquals: { "sts:ExternalId": ["x", "y"] } },
        { StringEquals: { "sts:ExternalId": ["x"] } },
      ),
    ).toBe(true);
  });

  it("only accepts identical value lists for negated operators", () => {
    const not = { StringNotEquals: { "aws:RequestedRegion": ["us-east-1", "eu-west-1"] } };
    expect(conditionsCover(not, { StringNotEquals: { "aws:RequestedRegion": ["us-east-1"] } })).toBe(false);
  });

  it("does not let a NotResource scope pass for a narrower one it cannot prove", () => {
    expect(scopeCovers(scope([], null, ["arn:aws:s3:::secret/*"]), scope(["arn:aws:s3:::public/x"]))).toBe(false);
    expect(scopeCovers(scope(["*"]), scope([], null, ["arn:aws:s3:::secret/*"]))).toBe(true);
  });
});
