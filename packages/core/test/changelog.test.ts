import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Changelog, computeChangelog, computeChangelogFromBytes } from "../src/changelog/index";
import { parseTemplate, type Template } from "../src/template/parse";

// Realistic integration templates: v1 (audit role with several inline policies, an update role
// that exists only under AutoUpdateEnabled, !Sub ARNs, an !If-guarded statement), its JSON twin,
// a reformatted copy, v2 (renames, moved actions, wildcards, a guarded policy, a trust change)
// and v3 (takes part of v2 back and adds a Deny).
const fixture = (name: string) => readFileSync(new URL(`./fixtures/changelog/${name}`, import.meta.url));

describe("cosmetic edits", () => {
  it("gives an empty changelog for the JSON twin of a YAML template", () => {
    const changelog = computeChangelogFromBytes(fixture("v1.yaml"), fixture("v1.json"));

    expect(changelog.summary.total).toBe(0);
    expect(changelog.permissionsBroadened).toBe(false);
    expect(changelog.resources).toEqual({ added: [], removed: [], modified: [], renamed: [] });
  });

  it("gives an empty changelog for reordered keys, statements and actions, requoting, flow style and comments", () => {
    const changelog = computeChangelogFromBytes(fixture("v1.yaml"), fixture("v1-cosmetic.yaml"));

    expect(changelog.summary.total).toBe(0);
  });

  it("gives an empty changelog for any shuffle of object keys, statements and action lists", () => {
    const template = parseTemplate(fixture("v2.yaml"));
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const shuffled = shuffle(template, seed) as Template;
        expect(computeChangelog(template, shuffled).summary.total).toBe(0);
      }),
      { numRuns: 15 },
    );
  });
});

describe("v1 → v2", () => {
  const changelog = computeChangelogFromBytes(fixture("v1.yaml"), fixture("v2.yaml"), { from: "1.0.0", to: "2.0.0" });
  const grants = (entries: Array<{ principal: string; effect: string; action: string; when: string[] }>) =>
    entries.map((p) => `${p.principal} ${p.effect} ${p.action}${p.when.length ? ` when ${p.when.join(",")}` : ""}`);

  it("matches the documented schema and survives a JSON round trip", () => {
    expect(Changelog.parse(JSON.parse(JSON.stringify(changelog)))).toEqual(changelog);
    expect(changelog).toMatchObject({ schemaVersion: 1, from: "1.0.0", to: "2.0.0", permissionsBroadened: true });
  });

  it("lists added permissions per role and action, including wildcards and the !If-guarded policy", () => {
    expect(grants(changelog.permissions.added)).toEqual([
      "IntegrationRole Allow cloudtrail:GetTrailStatus when ReadCloudTrail",
      "IntegrationRole Allow cloudtrail:LookupEvents when ReadCloudTrail",
      "IntegrationRole Allow ec2:Describe*",
      "IntegrationRole Allow s3:Get*",
      "UpdateRole Allow cloudformation:DeleteChangeSet when AutoUpdateEnabled",
    ]);
    const ec2 = changelog.permissions.added.find((p) => p.action === "ec2:Describe*")!;
    expect(ec2).toMatchObject({ wildcard: true, broadening: true, policies: ["IntegrationRole/ReadConfiguration"] });
    const deleteChangeSet = changelog.permissions.added.find((p) => p.action === "cloudformation:DeleteChangeSet")!;
    expect(deleteChangeSet.scopes).toEqual([
      {
        resources: ["arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${StackPrefix}-*"],
        notResources: [],
        conditions: {
          StringLikeIfExists: { "cloudformation:TemplateUrl": ["https://acme-templates.s3.amazonaws.com/*"] },
        },
      },
    ]);
  });

  it("reports s3:GetObject replaced by s3:Get* as a removal that does not broaden", () => {
    expect(grants(changelog.permissions.removed)).toEqual(["IntegrationRole Allow s3:GetObject"]);
    expect(changelog.permissions.removed[0]!.broadening).toBe(false);
  });

  it("does not report actions moved between policies of the renamed role", () => {
    const touched = [
      ...changelog.permissions.added,
      ...changelog.permissions.removed,
      ...changelog.permissions.modified,
    ].map((p) => p.action);
    expect(touched).not.toContain("s3:GetBucketPolicy");
    expect(touched).not.toContain("logs:GetLogEvents");
    expect(touched).not.toContain("logs:DeleteLogGroup");
    expect(changelog.permissions.modified).toEqual([]);
  });

  it("reports the renamed role (same RoleName) and the renamed bucket (same content) as renames", () => {
    expect(changelog.resources.renamed).toEqual([
      { from: "AuditBucket", to: "AuditLogBucket", type: "AWS::S3::Bucket", properties: [], matchedBy: "content" },
      expect.objectContaining({ from: "AuditRole", to: "IntegrationRole", type: "AWS::IAM::Role", matchedBy: "name" }),
    ]);
    expect(changelog.resources.added).toEqual([]);
    expect(changelog.resources.removed).toEqual([]);
  });

  it("reports the new trusted principal on the update role as broadening, with its conditions", () => {
    expect(changelog.trust).toEqual([
      {
        change: "added",
        role: "UpdateRole",
        effect: "Allow",
        action: "sts:AssumeRole",
        trustedPrincipal: "AWS:arn:${AWS::Partition}:iam::${UpdaterAccountId}:role/acme-executor-canary",
        when: ["AutoUpdateEnabled"],
        conditionsBefore: null,
        conditionsAfter: [{ StringEquals: { "sts:ExternalId": ["${ExternalId}"] } }],
        broadening: true,
        reasons: ["new trusted principal or action"],
      },
    ]);
  });

  it("reports modified resources with their replacement impact", () => {
    const byId = Object.fromEntries(changelog.resources.modified.map((m) => [m.logicalId, m]));
    expect(Object.keys(byId)).toEqual(["CloudFormationServiceRole", "RegistrationFunction", "UpdateRole"]);
    expect(byId.CloudFormationServiceRole).toMatchObject({
      replacement: "always",
      properties: [{ name: "RoleName", replacement: "always" }],
    });
    expect(byId.RegistrationFunction).toMatchObject({
      replacement: "never",
      properties: [{ name: "Runtime", before: "nodejs20.x", after: "nodejs22.x", replacement: "never" }],
    });
    expect(changelog.summary.resourcesReplaced).toBe(3);
  });

  it("reports parameters, conditions, outputs and the description", () => {
    expect(changelog.parameters.added).toEqual([
      { name: "EnableCloudTrailRead", value: { AllowedValues: ["true", "false"], Default: "false", Type: "String" } },
    ]);
    expect(changelog.conditions.added).toEqual([
      { name: "ReadCloudTrail", value: { "Fn::Equals": [{ Ref: "EnableCloudTrailRead" }, "true"] } },
    ]);
    expect(changelog.outputs.added.map((o) => o.name)).toEqual(["ServiceRoleArn"]);
    expect(changelog.outputs.changed).toEqual([]);
    expect(changelog.other.map((o) => o.name)).toEqual(["Description"]);
  });

  it("is not broadening in the other direction (a customer rolling back)", () => {
    const back = computeChangelogFromBytes(fixture("v2.yaml"), fixture("v1.yaml"));

    expect(back.permissionsBroadened).toBe(false);
    expect(grants(back.permissions.added)).toEqual(["AuditRole Allow s3:GetObject"]);
  });
});

describe("customers several versions behind", () => {
  it("get the net change from their version, not the sum of the steps in between", () => {
    // v3 takes back v2's s3:Get* and canary trust, and adds a Deny.
    const direct = computeChangelogFromBytes(fixture("v1.yaml"), fixture("v3.yaml"));

    expect(direct.permissions.added.map((p) => `${p.effect} ${p.action}`)).toEqual([
      "Allow cloudtrail:GetTrailStatus",
      "Allow cloudtrail:LookupEvents",
      "Allow ec2:Describe*",
      "Deny s3:GetObject",
      "Allow cloudformation:DeleteChangeSet",
    ]);
    expect(direct.permissions.removed).toEqual([]);
    expect(direct.trust).toEqual([]);
    expect(direct.resources.renamed.map((r) => r.to)).toEqual(["AuditLogBucket", "IntegrationRole"]);
  });

  it("see v2 → v3 as narrowing only", () => {
    const step = computeChangelogFromBytes(fixture("v2.yaml"), fixture("v3.yaml"));

    expect(step.permissionsBroadened).toBe(false);
    expect(step.trust).toEqual([expect.objectContaining({ change: "removed", broadening: false })]);
  });
});

describe("computeChangelogFromBytes", () => {
  it("throws template_invalid for bytes that are not a template", () => {
    expect(() => computeChangelogFromBytes(fixture("v1.yaml"), "Resources: [")).toThrow(
      expect.objectContaining({ code: "template_invalid" }),
    );
  });
});

/** Reorders every object's keys and the IAM lists whose order carries no meaning. */
function shuffle(value: unknown, seed: number, key = ""): unknown {
  const rng = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const permute = <T>(items: T[]) => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = rng(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  if (Array.isArray(value)) {
    const items = value.map((v) => shuffle(v, rng(1 << 30)));
    return ["Statement", "Action", "Resource", "Policies", "ManagedPolicyArns"].includes(key) ? permute(items) : items;
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(permute(Object.entries(value)).map(([k, v]) => [k, shuffle(v, rng(1 << 30), k)]));
  }
  return value;
}
