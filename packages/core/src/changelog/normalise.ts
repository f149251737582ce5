import type { Template } from "../template/parse";
import { canonical, isObject } from "./values";

/**
 * IAM policies are sets: the order of statements, of actions and resources in a statement,
 * of inline policies on a role and of attached managed policy ARNs means nothing. Sorting them
 * before the generic template diff keeps a reformatted policy from showing up as a modified
 * resource. Everything else is left as written.
 */
export function normaliseTemplate(template: Template): Template {
  const resources = Object.fromEntries(
    Object.entries(template.Resources).map(([id, r]) => [id, normaliseResource(r)]),
  ) as Template["Resources"];
  return { ...template, Resources: resources };
}

const DOCUMENT_KEYS = new Set(["PolicyDocument", "AssumeRolePolicyDocument", "KeyPolicy"]);
const LIST_KEYS = new Set(["Action", "NotAction", "Resource", "NotResource"]);
const SET_PROPERTIES = new Set(["ManagedPolicyArns", "Roles", "Users", "Groups"]);

const sortedSet = (items: unknown[]) => {
  const unique = new Map(items.map((i) => [canonical(i), i]));
  return [...unique.keys()].sort().map((k) => unique.get(k));
};

function normaliseResource(resource: Template["Resources"][string]): Template["Resources"][string] {
  // A StackSet's TemplateBody is another template's text: it is compared as a template, not rewritten.
  const raw = resource.Properties;
  const props =
    isObject(raw) && "TemplateBody" in raw
      ? { ...(partitionFree(raw) as object), TemplateBody: raw.TemplateBody }
      : partitionFree(raw);
  if (!isObject(props)) return resource;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(props)) {
    if (key === "Policies" && Array.isArray(value)) out[key] = sortedSet(value.map((p) => walk(p)));
    else if (SET_PROPERTIES.has(key) && Array.isArray(value) && resource.Type.startsWith("AWS::IAM::"))
      out[key] = sortedSet(value);
    else if (DOCUMENT_KEYS.has(key)) out[key] = normaliseDocument(value);
    else out[key] = walk(value);
  }
  return { ...resource, Properties: out };
}

const PARTITION_ARN = "arn:${AWS::Partition}:";
const toPartitionArn = (text: string) => text.replace(/\barn:aws:/g, PARTITION_ARN);
const escapeSub = (text: string) => text.replace(/\$\{/g, "${!");

/**
 * `arn:aws:…`, `!Sub arn:${AWS::Partition}:…` and `!Join ["", ["arn:", !Ref AWS::Partition, …]]`
 * are the same ARN in the partition customers run in: rewriting one as another (a common
 * "partition-agnostic" clean-up) is not a change. All three become the `!Sub` form, which is
 * also how most templates write it.
 */
function partitionFree(value: unknown): unknown {
  if (typeof value === "string")
    return /\barn:aws:/.test(value) ? { "Fn::Sub": toPartitionArn(escapeSub(value)) } : value;
  if (Array.isArray(value)) return value.map(partitionFree);
  if (!isObject(value)) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === "Fn::Sub") {
    const arg = value["Fn::Sub"];
    if (typeof arg === "string") return { "Fn::Sub": toPartitionArn(arg) };
    if (Array.isArray(arg) && typeof arg[0] === "string")
      return { "Fn::Sub": [toPartitionArn(arg[0]), partitionFree(arg[1])] };
  }
  if (keys.length === 1 && keys[0] === "Fn::Join") {
    const text = joinAsSub(value["Fn::Join"]);
    if (text !== undefined) return { "Fn::Sub": toPartitionArn(text) };
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, partitionFree(v)]));
}

/** `!Join ["", [...]]` of strings, `Ref`s and `GetAtt`s as the equivalent `!Sub` text, else undefined. */
function joinAsSub(arg: unknown): string | undefined {
  if (!Array.isArray(arg) || arg[0] !== "" || !Array.isArray(arg[1])) return undefined;
  const parts = (arg[1] as unknown[]).map((part) => {
    if (typeof part === "string") return escapeSub(part);
    if (!isObject(part)) return undefined;
    if (typeof part.Ref === "string" && Object.keys(part).length === 1) return `\${${part.Ref}}`;
    const att = part["Fn::GetAtt"];
    if (Array.isArray(att) && att.length === 2 && att.every((x) => typeof x === "string"))
      return `\${${att.join(".")}}`;
    return undefined;
  });
  return parts.every((p) => p !== undefined) ? parts.join("") : undefined;
}

/** Finds policy documents anywhere in a property value (bucket policies, key policies…). */
function walk(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(walk);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, DOCUMENT_KEYS.has(k) ? normaliseDocument(v) : walk(v)]),
  );
}

function normaliseDocument(document: unknown): unknown {
  if (!isObject(document)) return document;
  const statements = document.Statement;
  const list = Array.isArray(statements) ? statements : statements === undefined ? undefined : [statements];
  return list ? { ...document, Statement: sortedSet(list.map(normaliseStatement)) } : document;
}

function normaliseStatement(statement: unknown): unknown {
  if (!isObject(statement)) return statement;
  if ("Fn::If" in statement && Array.isArray(statement["Fn::If"])) {
    const [condition, ...branches] = statement["Fn::If"] as unknown[];
    return { "Fn::If": [condition, ...branches.map(normaliseStatement)] };
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(statement)) {
    if (LIST_KEYS.has(key)) out[key] = sortedSet(Array.isArray(value) ? value : [value]);
    else if (key === "Principal" && isObject(value))
      out[key] = Object.fromEntries(
        Object.entries(value).map(([type, v]) => [type, Array.isArray(v) ? sortedSet(v) : v]),
      );
    else out[key] = value;
  }
  return out;
}
