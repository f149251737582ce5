import { type CollectionTag, parseDocument, type ScalarTag, type Tags } from "yaml";
import { inputError } from "../error";

/**
 * A CloudFormation template as plain data, intrinsic functions in their long form
 * (`{ "Fn::GetAtt": ["Role", "Arn"] }`), whichever syntax the bytes used.
 */
export type Template = {
  AWSTemplateFormatVersion?: string;
  Description?: string;
  Transform?: unknown;
  Parameters?: Record<string, Record<string, unknown>>;
  Conditions?: Record<string, unknown>;
  Mappings?: Record<string, unknown>;
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Condition?: string; [k: string]: unknown }
  >;
  Outputs?: Record<string, Record<string, unknown>>;
  [section: string]: unknown;
};

// Short-form tag → long-form key. `!Ref` and `!Condition` are not `Fn::` functions.
const FUNCTIONS: Record<string, string> = {
  Ref: "Ref",
  Condition: "Condition",
  GetAtt: "Fn::GetAtt",
  Sub: "Fn::Sub",
  Join: "Fn::Join",
  If: "Fn::If",
  Equals: "Fn::Equals",
  Not: "Fn::Not",
  And: "Fn::And",
  Or: "Fn::Or",
  Select: "Fn::Select",
  Split: "Fn::Split",
  FindInMap: "Fn::FindInMap",
  Base64: "Fn::Base64",
  Cidr: "Fn::Cidr",
  GetAZs: "Fn::GetAZs",
  ImportValue: "Fn::ImportValue",
  Transform: "Fn::Transform",
  Length: "Fn::Length",
  ToJsonString: "Fn::ToJsonString",
};

function cfnTags(): Tags {
  const tags: Array<ScalarTag | CollectionTag> = [];
  for (const [short, long] of Object.entries(FUNCTIONS)) {
    const tag = `!${short}`;
    tags.push({
      tag,
      // `!GetAtt Role.Arn` is the one short form whose scalar means a list.
      resolve: (value: string) => ({ [long]: short === "GetAtt" ? splitGetAtt(value) : value }) as unknown as string,
    } as ScalarTag);
    for (const collection of ["seq", "map"] as const) {
      tags.push({
        tag,
        collection,
        resolve: (node: { toJSON: () => unknown }) => ({ [long]: node.toJSON() }),
      } as unknown as CollectionTag);
    }
  }
  return tags;
}

function splitGetAtt(value: string): [string, string] {
  const dot = value.indexOf(".");
  if (dot <= 0 || dot === value.length - 1)
    throw inputError("template_invalid", `!GetAtt "${value}" is not Resource.Attribute`);
  return [value.slice(0, dot), value.slice(dot + 1)];
}

export type TemplateFormat = "json" | "yaml";

export function detectFormat(text: string): TemplateFormat {
  return text.trimStart().startsWith("{") ? "json" : "yaml";
}

/**
 * Parses template bytes (JSON, or YAML with CloudFormation's short-form tags) into long-form data.
 * Throws an `input` error `template_invalid` with the parser's position for anything that is not
 * a template: syntax errors, duplicate keys, a non-object document, missing `Resources`.
 */
export function parseTemplate(source: string | Uint8Array): Template {
  const text = typeof source === "string" ? source : new TextDecoder("utf-8", { fatal: true }).decode(source);
  let data: unknown;
  if (detectFormat(text) === "json") {
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw inputError("template_invalid", `Template is not valid JSON: ${(e as Error).message}`);
    }
  } else {
    const doc = parseDocument(text, { customTags: cfnTags(), uniqueKeys: true, prettyErrors: true });
    const problem = doc.errors[0];
    if (problem) throw inputError("template_invalid", `Template is not valid YAML: ${problem.message}`);
    data = doc.toJSON();
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw inputError("template_invalid", "Template must be a JSON/YAML object");
  }
  const template = data as Template;
  const resources = template.Resources;
  if (
    typeof resources !== "object" ||
    resources === null ||
    Array.isArray(resources) ||
    Object.keys(resources).length === 0
  ) {
    throw inputError("template_invalid", "Template must declare at least one resource under Resources");
  }
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (typeof resource !== "object" || resource === null || typeof resource.Type !== "string") {
      throw inputError("template_invalid", `Resource ${logicalId} must be an object with a string Type`);
    }
  }
  return template;
}
