import { describe, expect, it } from "vitest";
import { computeChangelog } from "../src/changelog/index";
import { buildCustomerTemplate } from "../src/template/customer/build";
import { LOGICAL } from "../src/template/customer/policies";
import type { Template } from "../src/template/parse";
import { acmeConfig, CUSTOMER_ACCOUNT, EXTERNAL_ID, REGION } from "./support/customer-fixture";
import { decide, type PolicyDocument, roleOf } from "./support/iam";
import { resolveTemplate, STACK_UUID } from "./support/resolve-template";

/**
 * From the fixed-name vendor boundary (`<prefix>-boundary-<region>`, `Retain`) to the per-stack
 * name: what the changelog tells a customer, and why the executor cannot apply it for them.
 */
const current = buildCustomerTemplate(acmeConfig);

/** The template as it was before: the same, with the fixed name and `Retain`. */
function fixedName(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fixedName);
  if (value === null || typeof value !== "object") return value;
  const sub = (value as Record<string, unknown>)["Fn::Sub"];
  if (Array.isArray(sub) && typeof sub[0] === "string" && sub[0].includes("${StackUuid}")) {
    return { "Fn::Sub": sub[0].replace("-${StackUuid}", "") };
  }
  const retain = (k: string, v: unknown) => k === "DeletionPolicy" && v === "RetainExceptOnCreate";
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, retain(k, v) ? "Retain" : fixedName(v)]));
}
const previous = fixedName(current) as Template;

const iam = (resource: string) => `arn:aws:iam::${CUSTOMER_ACCOUNT}:${resource}`;
const OLD_BOUNDARY = iam(`policy/Acme-boundary-${REGION}`);
const NEW_BOUNDARY = iam(`policy/Acme-boundary-${REGION}-${STACK_UUID}`);

describe("the per-stack boundary name as an update of the fixed-name version", () => {
  it("is reported as the boundary's replacement, with no permission change", () => {
    const changelog = computeChangelog(previous, current, { from: "1.0.0", to: "1.1.0" });
    expect(changelog.permissionsBroadened).toBe(false);
    expect(changelog.summary).toMatchObject({ total: 1, resourcesReplaced: 1, permissionsAdded: 0 });
    const [boundary] = changelog.resources.modified;
    expect(boundary).toMatchObject({ logicalId: LOGICAL.boundary, replacement: "always" });
    expect(boundary!.properties.find((p) => p.name === "ManagedPolicyName")?.replacement).toBe("always");
    expect(boundary!.attributes).toEqual([{ name: "DeletionPolicy", before: "Retain", after: "RetainExceptOnCreate" }]);
  });

  it("cannot be applied by the service role: the old boundary denies moving any role to the new one", async () => {
    const installed = resolveTemplate(previous, {
      accountId: CUSTOMER_ACCOUNT,
      region: REGION,
      stackName: "Acme-integration",
      parameters: { ExternalId: EXTERNAL_ID },
    });
    const service = roleOf(installed, LOGICAL.serviceRole);
    expect(service.boundaryArn).toBe(OLD_BOUNDARY);
    const boundary = installed.resources[LOGICAL.boundary]!.Properties.PolicyDocument as PolicyDocument;
    const asService = (action: string, roleName: string, permissionsBoundary: string) =>
      decide({
        principal: `arn:aws:sts::${CUSTOMER_ACCOUNT}:assumed-role/${service.name}/AWSCloudFormation`,
        action,
        resource: iam(`role/${roleName}`),
        resourceAccount: CUSTOMER_ACCOUNT,
        identityPolicies: service.identityPolicies,
        boundary,
        context: { "iam:PermissionsBoundary": permissionsBoundary },
      });
    const integration = roleOf(installed, LOGICAL.integrationRole).name;
    expect(await asService("iam:PutRolePermissionsBoundary", integration, OLD_BOUNDARY)).toBe("Allowed");
    expect(await asService("iam:PutRolePermissionsBoundary", integration, NEW_BOUNDARY)).toBe("ExplicitlyDenied");
    expect(await asService("iam:PutRolePermissionsBoundary", service.name, NEW_BOUNDARY)).toBe("ExplicitlyDenied");
  });
});
