import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { inspectTemplate } from "../src/version/inspect";
import { MAX_TEMPLATE_BYTES } from "../src/version/manifest";
import { encode, templateFor } from "./support/release";

const yaml = (resources: string, extra = "") =>
  encode(`${extra}Parameters:\n  ExternalId:\n    Type: String\n  Level:\n    Type: String\nResources:\n${resources}`);

const bucket = "  Bucket:\n    Type: AWS::S3::Bucket\n";

const codeOf = (bytes: Uint8Array, options = {}) => {
  try {
    inspectTemplate(bytes, options);
    return "accepted";
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe("inspectTemplate", () => {
  it("returns the sha256 and size of the exact bytes and the declared parameters", () => {
    const bytes = templateFor("2.0.0");
    const inspection = inspectTemplate(bytes);
    expect(inspection.sha256).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(inspection.size).toBe(bytes.length);
    expect(inspection.parameters).toEqual(["AuditLevel", "EnableAutoUpdate", "ExternalId"]);
    expect(inspection.allowedUnsignedContent).toEqual([]);
  });

  it("derives CAPABILITY_IAM from IAM resources and NAMED_IAM from named ones", () => {
    expect(inspectTemplate(yaml(bucket)).capabilities).toEqual([]);
    expect(inspectTemplate(yaml("  Role:\n    Type: AWS::IAM::Role\n    Properties: {}\n")).capabilities).toEqual([
      "CAPABILITY_IAM",
    ]);
    expect(
      inspectTemplate(
        yaml("  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Sub x-${AWS::Region}\n"),
      ).capabilities,
    ).toEqual(["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]);
    expect(
      inspectTemplate(
        yaml("  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      ManagedPolicyName: p\n"),
      ).capabilities,
    ).toEqual(["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]);
  });

  it("rejects a nested stack, with its TemplateURL, unless explicitly allowed", () => {
    const nested = yaml(
      "  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: https://bucket.s3.amazonaws.com/child.yaml\n",
    );
    expect(codeOf(nested)).toBe("template_nested_stack");
    const allowed = inspectTemplate(nested, { allowNestedStacks: true });
    expect(allowed.allowedUnsignedContent).toHaveLength(2);
    expect(allowed.capabilities).toEqual(["CAPABILITY_AUTO_EXPAND", "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]);
  });

  it("rejects a TemplateURL anywhere and other fetched content types", () => {
    expect(
      codeOf(yaml("  Set:\n    Type: AWS::CloudFormation::StackSet\n    Properties:\n      StackSetName: s\n")),
    ).toBe("template_nested_stack");
    expect(
      codeOf(yaml("  Thing:\n    Type: Custom::Thing\n    Properties:\n      Config: { TemplateURL: https://x }\n")),
    ).toBe("template_nested_stack");
    expect(codeOf(yaml("  Mod:\n    Type: AWS::CloudFormation::ModuleVersion\n    Properties: {}\n"))).toBe(
      "template_nested_stack",
    );
  });

  it("rejects a top-level Transform, SAM or Include, unless explicitly allowed", () => {
    const sam = yaml(bucket, "Transform: AWS::Serverless-2016-10-31\n");
    expect(codeOf(sam)).toBe("template_transform");
    expect(codeOf(yaml(bucket, "Transform: [AWS::Include]\n"))).toBe("template_transform");
    expect(inspectTemplate(sam, { allowTransforms: true }).capabilities).toEqual(["CAPABILITY_AUTO_EXPAND"]);
  });

  it("rejects Fn::Transform anywhere, short form or long form", () => {
    const short = yaml(
      `${bucket}    Properties:\n      Tags:\n        - !Transform { Name: AWS::Include, Parameters: { Location: s3://b/k } }\n`,
    );
    expect(codeOf(short)).toBe("template_transform");
    const long = encode(
      JSON.stringify({
        Resources: { B: { Type: "AWS::S3::Bucket", Properties: { X: [{ "Fn::Transform": { Name: "M" } }] } } },
      }),
    );
    expect(codeOf(long)).toBe("template_transform");
  });

  it("rejects resources that are expanded by macros: SAM types, modules, macro definitions", () => {
    expect(codeOf(yaml("  Fn:\n    Type: AWS::Serverless::Function\n"))).toBe("template_transform");
    expect(codeOf(yaml("  Mod:\n    Type: Acme::Audit::Bucket::MODULE\n"))).toBe("template_transform");
    expect(
      codeOf(yaml("  Macro:\n    Type: AWS::CloudFormation::Macro\n    Properties: { Name: m, FunctionName: f }\n")),
    ).toBe("template_transform");
  });

  it("rejects oversize, empty and unparsable templates", () => {
    const oversize = new Uint8Array(MAX_TEMPLATE_BYTES + 1).fill(0x20);
    expect(codeOf(oversize)).toBe("template_oversize");
    expect(codeOf(new Uint8Array(0))).toBe("template_invalid");
    expect(codeOf(encode("Resources: [oops"))).toBe("template_invalid");
    expect(codeOf(encode('{"Resources": {}}'))).toBe("template_invalid");
  });

  it("refuses duplicate keys in JSON as in YAML, escaped spellings included", () => {
    const bucket = '{"Type":"AWS::S3::Bucket"}';
    expect(codeOf(encode(`{"Resources":{"A":${bucket},"A":${bucket}}}`))).toBe("template_invalid");
    expect(codeOf(encode(`{"Resources":{"A":{"Type":"AWS::S3::Bucket","Type":"AWS::IAM::Role"}}}`))).toBe(
      "template_invalid",
    );
    expect(codeOf(encode(`{"Resources":{"A":${bucket},"\\u0041":${bucket}}}`))).toBe("template_invalid");
    expect(codeOf(encode("Resources:\n  A: {Type: AWS::S3::Bucket}\n  A: {Type: AWS::S3::Bucket}\n"))).toBe(
      "template_invalid",
    );
    expect(codeOf(encode(`{"Resources":{"A":${bucket},"A"${" ".repeat(200)}:${bucket}}}`))).toBe("template_invalid");
    // The same key in two different objects is not a duplicate, nor is a value equal to a key.
    expect(codeOf(encode(`{"Resources":{"A":{"Type":"AWS::S3::Bucket","Metadata":{"k":"Type"}}}}`))).toBe("accepted");
    expect(codeOf(encode(`{"Resources":{"A":${bucket},"B":${bucket}}}`))).toBe("accepted");
  });

  it("walks deeply nested templates without overflowing the stack", () => {
    const depth = 20_000;
    const deep = `{"Resources":{"B":{"Type":"AWS::S3::Bucket","Metadata":${"[".repeat(depth)}{"Fn::Transform":1}${"]".repeat(depth)}}}}`;
    expect(codeOf(encode(deep))).toBe("template_transform");
  });
});
