import { Document, Pair, Scalar, YAMLMap, YAMLSeq } from "yaml";
import { inputError } from "../../error";
import type { Template, TemplateFormat } from "../parse";
import { buildCustomerTemplate } from "./build";
import type { CustomerTemplateConfigInput } from "./config";

// Long-form key → short-form tag. `Condition` stays long: `{ Condition: X }` also spells a
// resource's or output's own attribute, and both forms parse the same.
const SHORT_FORMS: Record<string, string> = {
  Ref: "!Ref",
  "Fn::Sub": "!Sub",
  "Fn::GetAtt": "!GetAtt",
  "Fn::If": "!If",
  "Fn::Equals": "!Equals",
  "Fn::Not": "!Not",
  "Fn::And": "!And",
  "Fn::Or": "!Or",
  "Fn::Join": "!Join",
  "Fn::Select": "!Select",
  "Fn::Split": "!Split",
  "Fn::FindInMap": "!FindInMap",
  "Fn::Base64": "!Base64",
  "Fn::ImportValue": "!ImportValue",
};

/** The executor sends verified bytes as `TemplateBody`, which CloudFormation caps at 51,200 bytes. */
export const TEMPLATE_BODY_LIMIT = 51_200;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function toNode(value: unknown): Scalar | YAMLMap | YAMLSeq {
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    seq.items = value.map(toNode);
    return seq;
  }
  if (!isRecord(value)) return new Scalar(value);
  const keys = Object.keys(value);
  const tag = keys.length === 1 ? SHORT_FORMS[keys[0]!] : undefined;
  if (tag) {
    let argument = value[keys[0]!];
    // `!GetAtt Resource.Attribute` is the short form only when both parts are literal.
    if (tag === "!GetAtt" && Array.isArray(argument) && argument.every((part) => typeof part === "string")) {
      argument = argument.join(".");
    }
    const node = toNode(argument);
    node.tag = tag;
    return node;
  }
  const map = new YAMLMap();
  for (const key of keys) map.items.push(new Pair(new Scalar(key), toNode(value[key])));
  return map;
}

/**
 * YAML with CloudFormation's short-form tags (`!Ref`, `!Sub`, `!GetAtt A.B`, `!If`) or JSON with
 * two-space indentation and one-line intrinsics; both are deterministic (the object's key order) and parse back with
 * `parseTemplate` to the same long-form data. YAML uses the 1.1 schema when quoting, so strings
 * CloudFormation's parser would read as booleans (`yes`, `on`) stay strings. Throws an `input`
 * error `template_too_large` past the `TemplateBody` limit: such a template could never be applied.
 */
export function serializeTemplate(template: Template, format: TemplateFormat): string {
  const text = format === "json" ? toJson(template) : toYaml(template);
  const size = Buffer.byteLength(text);
  if (size > TEMPLATE_BODY_LIMIT) {
    throw inputError(
      "template_too_large",
      `The ${format} template is ${size} bytes; CloudFormation's TemplateBody takes ${TEMPLATE_BODY_LIMIT}`,
    );
  }
  return text;
}

const isIntrinsic = (v: unknown) => {
  if (!isRecord(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0]! in SHORT_FORMS;
};

/**
 * Two-space JSON with each intrinsic function on one line, as the YAML's short forms are: spread
 * over lines, `Fn::Sub` over the stack id's UUID costs ~450 bytes of the 51,200 each time.
 * Intrinsics are swapped for NUL-marked placeholders, which no template string may contain.
 */
function toJson(template: Template): string {
  const inline: string[] = [];
  const text = JSON.stringify(
    template,
    (_key, value: unknown) => {
      if (typeof value === "string" && value.includes("\u0000")) {
        throw inputError("template_invalid", "A template string contains a NUL character");
      }
      return isIntrinsic(value) ? `\u0000${inline.push(JSON.stringify(value)) - 1}` : value;
    },
    2,
  );
  return `${text.replace(/"\\u0000(\d+)"/g, (_whole, i: string) => inline[Number(i)]!)}\n`;
}

function toYaml(template: Template): string {
  const doc = new Document(null, { version: "1.1" });
  doc.contents = toNode(template) as YAMLMap;
  return doc.toString({ lineWidth: 0 });
}

/** The customer template for a configuration, ready to publish. */
export function renderCustomerTemplate(config: CustomerTemplateConfigInput, format: TemplateFormat): string {
  return serializeTemplate(buildCustomerTemplate(config), format);
}
