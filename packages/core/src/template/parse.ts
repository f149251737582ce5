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

/**
 * `JSON.parse` keeps the last of two equal keys without a word; another reader may keep the first.
 * A changelog computed from one reading while CloudFormation applies the other would tell the
 * customer something false, so a duplicate (after unescaping: `"a"` and `"\u0061"` are the same
 * key) is refused, as YAML's are. Runs after `JSON.parse` accepted the text, so it only has to find
 * strings, braces and brackets. Hand-written rather than a JSON AST library because those recurse
 * per nesting level, and templates 20,000 levels deep must be refused with a 4xx, not a stack overflow.
 */
function refuseDuplicateJsonKeys(text: string): void {
  const open: (Set<string> | null)[] = []; // one entry per open object (a key set) or array (null)
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") open.push(new Set());
    else if (c === "[") open.push(null);
    else if (c === "}" || c === "]") open.pop();
    else if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      let next = end + 1;
      while (" \t\n\r".includes(text[next] as string)) next++;
      const keys = open.at(-1);
      if (keys && text[next] === ":") {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (keys.has(key)) throw inputError("template_invalid", `Template is not valid JSON: duplicate key "${key}"`);
        keys.add(key);
      }
      i = end;
    }
  }
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
    refuseDuplicateJsonKeys(text);
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
