import { parseTemplate } from "@stackfleet/core/template/parse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack, type TestStack } from "../support/local-stack";

/**
 * A version that changes the vendor permissions boundary is refused at publication: the installed
 * boundary denies every stack's own service role that change (`DenyChangingTheBoundary`), so it
 * could only be scheduled, announced and failed for every customer. The refusal changes nothing.
 */
let stack: TestStack;
let operator: string;
beforeAll(async () => {
  stack = await startTestStack();
  operator = await stack.tokenFor("operator", undefined, { ttl: "1h" });
});
afterAll(() => stack?.stop());

type Template = { Resources: Record<string, { Properties: Record<string, any> }> };
const parsed = (text: string) => parseTemplate(new TextEncoder().encode(text)) as unknown as Template;

/** 1.1.0 as the vendor would ship it, with `change` applied to its template first. */
const body = (change: (t: Template) => void) => {
  const template = parsed(stack.customerTemplate("1.1.0"));
  change(template);
  return { version: "1.1.0", template: JSON.stringify(template) };
};

describe("publishing a version that changes the permissions boundary", () => {
  const cases: [string, (t: Template) => void, RegExp][] = [
    [
      "a statement added to the boundary",
      (t) =>
        t.Resources.VendorPermissionsBoundary!.Properties.PolicyDocument.Statement.push({
          Effect: "Allow",
          Action: "s3:*",
          Resource: "*",
        }),
      /VendorPermissionsBoundary is modified/,
    ],
    [
      "the boundary given another name (a replacement)",
      (t) => {
        t.Resources.VendorPermissionsBoundary!.Properties.ManagedPolicyName = "Acme-boundary-v2";
      },
      /VendorPermissionsBoundary is modified/,
    ],
    [
      "a role taken off the boundary",
      (t) => {
        delete t.Resources.IntegrationRole!.Properties.PermissionsBoundary;
      },
      /permissions boundary changes .* to none/,
    ],
  ];

  it.each(cases)("%s: 400 boundary_changed, nothing recorded", async (_name, change, says) => {
    const before = await stack.scan();
    const res = await stack.api("POST", "/v1/versions", operator, body(change));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: "boundary_changed" } });
    expect((res.body as { error: { message: string } }).error.message).toMatch(says);
    expect(await stack.scan()).toEqual(before);
  });

  it("the same version with the boundary kept publishes", async () => {
    const res = await stack.api(
      "POST",
      "/v1/versions",
      operator,
      body(() => undefined),
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });
});
