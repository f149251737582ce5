import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { isStackfleetError } from "../src/error";
import { buildCustomerTemplate, CONDITIONS } from "../src/template/customer/build";
import { isPrefixedStackName, roleNames, stackNameFor } from "../src/template/customer/names";
import { LOGICAL } from "../src/template/customer/policies";
import { quickCreateUrl } from "../src/template/customer/quick-create";
import { REGISTRATION_HANDLER_SOURCE } from "../src/template/customer/registration-handler";
import { renderCustomerTemplate, serializeTemplate } from "../src/template/customer/render";
import { parseTemplate } from "../src/template/parse";
import { acmeConfig, CUSTOMER_ACCOUNT, EXTERNAL_ID, REGION } from "./support/customer-fixture";
import { resolveTemplate, STACK_UUID } from "./support/resolve-template";

const TEMPLATE_BODY_LIMIT = 51_200;
const stack = (parameters: Record<string, string>) =>
  resolveTemplate(buildCustomerTemplate(acmeConfig), {
    accountId: CUSTOMER_ACCOUNT,
    region: REGION,
    stackName: "Acme-integration",
    parameters: { ExternalId: EXTERNAL_ID, ...parameters },
  });

describe("customer template rendering", () => {
  it("stays under CloudFormation's TemplateBody limit in YAML and JSON", () => {
    const yaml = Buffer.byteLength(renderCustomerTemplate(acmeConfig, "yaml"));
    const json = Buffer.byteLength(renderCustomerTemplate(acmeConfig, "json"));
    expect(yaml).toBeLessThan(TEMPLATE_BODY_LIMIT);
    expect(json).toBeLessThan(TEMPLATE_BODY_LIMIT);
  });

  it("leaves room for a product policy at IAM's inline size limit", () => {
    const statement = (i: number) => ({
      Sid: `Read${i}`,
      Effect: "Allow" as const,
      Action: ["s3:GetBucketPolicy", "s3:GetBucketAcl", "s3:GetEncryptionConfiguration"],
      Resource: `arn:aws:s3:::customer-bucket-${i}-with-a-long-name`,
    });
    const size = (n: number) =>
      JSON.stringify({ Version: "2012-10-17", Statement: Array.from({ length: n }, (_, i) => statement(i)) }).length;
    let count = 1;
    while (size(count + 1) <= 10_240) count++;
    const big = { ...acmeConfig, productPolicy: { statements: Array.from({ length: count }, (_, i) => statement(i)) } };
    expect(Buffer.byteLength(renderCustomerTemplate(big, "yaml"))).toBeLessThan(TEMPLATE_BODY_LIMIT);
    expect(Buffer.byteLength(renderCustomerTemplate(big, "json"))).toBeLessThan(TEMPLATE_BODY_LIMIT);
    const tooBig = {
      ...acmeConfig,
      productPolicy: { statements: Array.from({ length: count + 1 }, (_, i) => statement(i)) },
    };
    expect(() => renderCustomerTemplate(tooBig, "json")).toThrow(/inline policy limit/);
  });

  it("refuses to serialise a template CloudFormation could not take as a body", () => {
    const huge = {
      Resources: { Big: { Type: "AWS::SSM::Parameter", Properties: { Value: "x".repeat(TEMPLATE_BODY_LIMIT) } } },
    };
    expect(() => serializeTemplate(huge, "yaml")).toThrow(/TemplateBody/);
    expect(() => serializeTemplate(huge, "json")).toThrow(/TemplateBody/);
  });

  it("parses from YAML and from JSON to the same template it was built from", () => {
    const built = JSON.parse(JSON.stringify(buildCustomerTemplate(acmeConfig)));
    const fromYaml = parseTemplate(renderCustomerTemplate(acmeConfig, "yaml"));
    const fromJson = parseTemplate(renderCustomerTemplate(acmeConfig, "json"));
    expect(isDeepStrictEqual(fromYaml, fromJson)).toBe(true);
    expect(fromYaml).toEqual(built);
  });

  it("writes YAML with short-form tags and quotes what CloudFormation would read as booleans or null", () => {
    const yaml = renderCustomerTemplate(acmeConfig, "yaml");
    expect(yaml).toContain("RoleName: !Sub Acme-updater-${AWS::Region}");
    expect(yaml).toContain("!GetAtt CloudFormationServiceRole.Arn");
    expect(yaml).toContain('Default: "true"');
    expect(yaml).toContain('"Null":');
    expect(yaml).not.toContain("Fn::");
  });

  it("quotes strings that YAML 1.1 (CloudFormation's dialect) would read as booleans", () => {
    const statements = [
      {
        Effect: "Allow" as const,
        Action: "ec2:Describe*",
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestTag/Scan": ["yes", "on", "off"] } },
      },
    ];
    const yaml = renderCustomerTemplate({ ...acmeConfig, productPolicy: { statements } }, "yaml");
    for (const word of ["yes", "on", "off"]) expect(yaml).toContain(`- "${word}"`);
  });

  it("is deterministic", () => {
    expect(renderCustomerTemplate(acmeConfig, "yaml")).toBe(renderCustomerTemplate(acmeConfig, "yaml"));
    expect(renderCustomerTemplate(acmeConfig, "json")).toBe(renderCustomerTemplate(acmeConfig, "json"));
  });

  it("keeps the inline registration code within Lambda's 4,096-byte ZipFile limit", () => {
    expect(Buffer.byteLength(REGISTRATION_HANDLER_SOURCE)).toBeLessThanOrEqual(4096);
    const fn = buildCustomerTemplate(acmeConfig).Resources[LOGICAL.registrationFunction]!;
    expect(fn.Properties).toMatchObject({
      Runtime: "nodejs22.x",
      Handler: "index.handler",
      Code: { ZipFile: REGISTRATION_HANDLER_SOURCE },
    });
  });
});

describe("customer template parameters", () => {
  it("declares ExternalId (not NoEcho, IAM's charset), EnableAutoUpdate defaulting to true and an optional boundary", () => {
    const { Parameters } = buildCustomerTemplate(acmeConfig);
    expect(Object.keys(Parameters ?? {})).toEqual(["ExternalId", "EnableAutoUpdate", "PermissionsBoundaryArn"]);
    expect(Parameters?.ExternalId).toMatchObject({ Type: "String", MinLength: 2, MaxLength: 1224 });
    expect(Parameters?.ExternalId?.NoEcho).toBeUndefined();
    expect(Parameters?.EnableAutoUpdate).toMatchObject({ AllowedValues: ["true", "false"], Default: "true" });
    expect(Parameters?.PermissionsBoundaryArn).toMatchObject({ Default: "" });
  });

  it("rejects ExternalIds outside STS's pattern and length", () => {
    expect(() => stack({ ExternalId: "x" })).toThrow(/too short/);
    expect(() => stack({ ExternalId: "has space" })).toThrow(/pattern/);
    expect(() => stack({ ExternalId: "a".repeat(1225) })).toThrow(/too long/);
    expect(stack({ ExternalId: "tenant+1=ok,.@:/-_" }).parameters.ExternalId).toBe("tenant+1=ok,.@:/-_");
  });

  it("bakes trust in: no parameter can redirect it to other accounts or roles", () => {
    const { Parameters } = buildCustomerTemplate(acmeConfig);
    const names = Object.keys(Parameters ?? {}).join(" ");
    expect(names).not.toMatch(/Account|Executor|Version|Callback/);
  });

  it("auto-update defaults to on: the update role exists without any parameter but ExternalId", () => {
    const resolved = stack({});
    expect(resolved.conditions[CONDITIONS.autoUpdate]).toBe(true);
    expect(resolved.resources[LOGICAL.updateRole]).toBeDefined();
  });

  it("bounds every role by the vendor boundary it publishes, or by the customer's own when given", () => {
    const own = `arn:aws:iam::${CUSTOMER_ACCOUNT}:policy/OrgBoundary`;
    const vendor = `arn:aws:iam::${CUSTOMER_ACCOUNT}:policy/Acme-boundary-${REGION}-${STACK_UUID}`;
    const withOwn = stack({ PermissionsBoundaryArn: own });
    const withVendor = stack({});
    const roles = [LOGICAL.integrationRole, LOGICAL.updateRole, LOGICAL.serviceRole, LOGICAL.registrationRole];
    for (const id of roles) {
      expect(withOwn.resources[id]?.Properties.PermissionsBoundary).toBe(own);
      expect(withVendor.resources[id]?.Properties.PermissionsBoundary).toBe(vendor);
    }
    expect(withVendor.resources[LOGICAL.boundary]?.Properties.ManagedPolicyName).toBe(
      `Acme-boundary-${REGION}-${STACK_UUID}`,
    );
    expect(withOwn.resources[LOGICAL.boundary]).toBeUndefined();
    expect(() => stack({ PermissionsBoundaryArn: "not-an-arn" })).toThrow(/pattern/);
  });

  it("names the vendor boundary per stack, so a reinstall never meets the policy an earlier stack left", () => {
    const template = buildCustomerTemplate(acmeConfig);
    const install = (stackUuid: string) =>
      resolveTemplate(template, {
        accountId: CUSTOMER_ACCOUNT,
        region: REGION,
        stackName: "Acme-integration",
        stackUuid,
        parameters: { ExternalId: EXTERNAL_ID },
      });
    const uuid = "9f0c2a4e-1b2c-4d5e-8f90-123456789abc";
    const first = install(STACK_UUID).resources[LOGICAL.boundary]!;
    const again = install(uuid).resources[LOGICAL.boundary]!;
    expect(again.Properties.ManagedPolicyName).toBe(`Acme-boundary-${REGION}-${uuid}`);
    expect(again.Properties.ManagedPolicyName).not.toBe(first.Properties.ManagedPolicyName);
    // The longest prefix (31) and Region still fit IAM's 128-character policy names.
    const long = { ...acmeConfig, stackPrefix: "A".repeat(31) };
    const name = resolveTemplate(buildCustomerTemplate(long), {
      accountId: CUSTOMER_ACCOUNT,
      region: "ap-southeast-5",
      stackName: `${"A".repeat(31)}-integration`,
      stackUuid: uuid,
      parameters: { ExternalId: EXTERNAL_ID },
    }).resources[LOGICAL.boundary]!.Properties.ManagedPolicyName as string;
    expect(name.length).toBeLessThanOrEqual(128);
    expect(template.Resources[LOGICAL.boundary]).toMatchObject({
      DeletionPolicy: "RetainExceptOnCreate",
      UpdateReplacePolicy: "Retain",
    });
  });
});

describe("customer template resources", () => {
  it("names every role and function inside the prefix, within IAM's 64 characters in every Region", () => {
    const longPrefix = "A".repeat(31);
    const template = buildCustomerTemplate({ ...acmeConfig, stackPrefix: longPrefix });
    const resolved = resolveTemplate(template, {
      accountId: CUSTOMER_ACCOUNT,
      region: "ap-southeast-5",
      stackName: `${longPrefix}-integration`,
      parameters: { ExternalId: EXTERNAL_ID },
    });
    const names = Object.values(resolved.resources)
      .map((r) => r.Properties.RoleName ?? r.Properties.FunctionName)
      .filter((n): n is string => typeof n === "string");
    expect(names).toHaveLength(5);
    for (const name of names) {
      expect(name.startsWith(`${longPrefix}-`)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(64);
    }
    expect(Object.values(roleNames("Acme")).every((n) => n.startsWith("Acme-"))).toBe(true);
  });

  it("registers every value the vendor records, so changing any of them sends a new callback", () => {
    const props = stack({}).resources[LOGICAL.registration]?.Properties;
    expect(props).toMatchObject({
      CallbackUrl: acmeConfig.callbackUrl,
      Vendor: "Acme Security",
      ExternalId: EXTERNAL_ID,
      IntegrationRoleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/Acme-integration-${REGION}`,
      UpdateRoleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/Acme-updater-${REGION}`,
      ServiceRoleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/Acme-cfn-service-${REGION}`,
      AccountId: CUSTOMER_ACCOUNT,
      Region: REGION,
      StackName: "Acme-integration",
      TemplateVersion: "1.0.0",
      EnableAutoUpdate: "true",
    });
    expect(props?.ServiceToken).toBe(`arn:aws:lambda:${REGION}:${CUSTOMER_ACCOUNT}:function:Acme-registration`);
  });

  it("deletes the service role last: every other resource depends on it, but the retained boundary", () => {
    const { Resources } = buildCustomerTemplate(acmeConfig);
    for (const [id, resource] of Object.entries(Resources)) {
      if (id !== LOGICAL.serviceRole && id !== LOGICAL.boundary) expect(resource.DependsOn).toBe(LOGICAL.serviceRole);
    }
    // The service role may not delete the boundary (a deleted one could be recreated wider): kept,
    // except by the rollback of the create that made it (the customer's own credentials).
    expect(Resources[LOGICAL.boundary]).toMatchObject({
      DeletionPolicy: "RetainExceptOnCreate",
      UpdateReplacePolicy: "Retain",
    });
  });

  it("gives the integration role the vendor's product policy", () => {
    const role = stack({}).resources[LOGICAL.integrationRole]?.Properties;
    expect(role?.ManagedPolicyArns).toEqual(["arn:aws:iam::aws:policy/SecurityAudit"]);
    expect(role?.Policies).toEqual([
      {
        PolicyName: "Product",
        PolicyDocument: { Version: "2012-10-17", Statement: acmeConfig.productPolicy.statements },
      },
    ]);
  });

  it("outputs the role ARNs, the ExternalId and the template version", () => {
    expect(stack({}).outputs).toEqual({
      IntegrationRoleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/Acme-integration-${REGION}`,
      UpdateRoleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/Acme-updater-${REGION}`,
      CloudFormationServiceRoleArn: `arn:aws:iam::${CUSTOMER_ACCOUNT}:role/Acme-cfn-service-${REGION}`,
      ExternalId: EXTERNAL_ID,
      TemplateVersion: "1.0.0",
    });
  });
});

describe("customer template configuration", () => {
  const rejects = (patch: Record<string, unknown>, field: RegExp) => {
    try {
      buildCustomerTemplate({ ...acmeConfig, ...patch } as typeof acmeConfig);
    } catch (e) {
      expect(isStackfleetError(e, "input")).toBe(true);
      expect((e as Error).message).toMatch(field);
      return;
    }
    throw new Error(`accepted ${JSON.stringify(patch)}`);
  };

  it("accepts an https callback, or plain http on loopback only when asked to", () => {
    rejects({ callbackUrl: "http://api.acme.example/cb" }, /callbackUrl/);
    rejects({ callbackUrl: "http://127.0.0.1:8080/cb" }, /callbackUrl/);
    rejects({ callbackUrl: "http://10.0.0.1:8080/cb", allowInsecureCallback: true }, /callbackUrl/);
    rejects({ callbackUrl: "https://user:pw@api.acme.example/cb" }, /callbackUrl/);
    const local = buildCustomerTemplate({
      ...acmeConfig,
      callbackUrl: "http://127.0.0.1:8080/cb",
      allowInsecureCallback: true,
    });
    expect(local.Resources[LOGICAL.registration]?.Properties?.CallbackUrl).toBe("http://127.0.0.1:8080/cb");
  });

  it("rejects prefixes, accounts, role names and versions AWS or the executor would not accept", () => {
    rejects({ stackPrefix: "1Acme" }, /stackPrefix/);
    rejects({ stackPrefix: "Acme-" }, /stackPrefix/);
    rejects({ stackPrefix: "A".repeat(32) }, /stackPrefix/);
    rejects({ vendorAccountId: "12345" }, /vendorAccountId/);
    rejects({ updaterAccountId: "abcdefghijkl" }, /updaterAccountId/);
    rejects({ executorRoleName: "path/executor" }, /executorRoleName/);
    rejects({ templateVersion: "v1" }, /templateVersion/);
    rejects({ productPolicy: {} }, /productPolicy/);
    rejects({ productPolicy: { statements: [{ Effect: "Allow", Resource: "*" }] } }, /Action/);
  });
});

describe("stack names and quick-create links", () => {
  it("proposes stack names inside the prefix", () => {
    expect(stackNameFor("Acme")).toBe("Acme-integration");
    expect(stackNameFor("Acme", "prod")).toBe("Acme-prod");
    expect(() => stackNameFor("Acme", "bad_name")).toThrow(/not a valid/);
  });

  it("tells stacks inside the prefix from the rest", () => {
    expect(isPrefixedStackName("Acme", "Acme-integration")).toBe(true);
    expect(isPrefixedStackName("Acme", "AcmeX-integration")).toBe(false);
    expect(isPrefixedStackName("Acme", "Acme-")).toBe(false);
    expect(isPrefixedStackName("Acme", "Other-Acme-x")).toBe(false);
  });

  it("builds the console's documented quick-create link with encoded values", () => {
    const templateUrl = "https://acme-templates.s3.eu-west-1.amazonaws.com/customer/1.0.0.yaml?versionId=a+b";
    const url = quickCreateUrl({
      region: REGION,
      templateUrl,
      stackName: "Acme-integration",
      parameters: { ExternalId: "int_01+x", EnableAutoUpdate: "true" },
    });
    expect(url).toBe(
      `https://eu-west-1.console.aws.amazon.com/cloudformation/home?region=eu-west-1#/stacks/create/review?templateURL=${encodeURIComponent(templateUrl)}&stackName=Acme-integration&param_ExternalId=int_01%2Bx&param_EnableAutoUpdate=true`,
    );
  });

  it("refuses links it cannot make valid", () => {
    const base = { region: REGION, templateUrl: "https://b.s3.amazonaws.com/t.yaml", stackName: "Acme-integration" };
    expect(() => quickCreateUrl({ ...base, region: "moon-1" })).toThrow(/Region/);
    expect(() => quickCreateUrl({ ...base, templateUrl: "http://b/t.yaml" })).toThrow(/https/);
    expect(() => quickCreateUrl({ ...base, stackName: "1bad" })).toThrow(/stack name/);
    expect(() => quickCreateUrl({ ...base, parameters: { "a&b": "x" } })).toThrow(/parameter/);
  });
});
