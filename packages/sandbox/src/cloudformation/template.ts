import type { Capability } from "@aws-sdk/client-cloudformation";
import { isStackfleetError } from "@stackfleet/core/error";
import { parseTemplate, type Template } from "@stackfleet/core/template/parse";
import { insufficientCapabilities, validationError } from "./errors";
import { checkParameterTypes } from "./parameters";
import type { LoadedTemplate } from "./types";

export const MAX_TEMPLATE_BODY_BYTES = 51_200;
export const MAX_TEMPLATE_URL_BYTES = 1_000_000;

export type FetchTemplate = (url: string) => Promise<string>;

export interface TemplateSource {
  TemplateBody?: string;
  TemplateURL?: string;
}

/** Reads and parses the template of a call: exactly one of the body or an URL fetched through the injected fetcher. */
export async function loadTemplate(
  source: TemplateSource,
  fetchTemplate: FetchTemplate | undefined,
): Promise<LoadedTemplate> {
  const { TemplateBody: body, TemplateURL: url } = source;
  if ((body === undefined) === (url === undefined))
    throw validationError("Exactly one of TemplateBody or TemplateUrl must be specified.");
  let text: string;
  if (body !== undefined) {
    if (Buffer.byteLength(body, "utf8") > MAX_TEMPLATE_BODY_BYTES) {
      throw validationError(
        `1 validation error detected: Value at 'templateBody' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TEMPLATE_BODY_BYTES}`,
      );
    }
    text = body;
  } else {
    if (!fetchTemplate || url!.length > 1024) throw validationError("TemplateURL must be a supported URL.");
    try {
      text = await fetchTemplate(url!);
    } catch {
      throw validationError("TemplateURL must reference a valid S3 object to which you have access.");
    }
    if (Buffer.byteLength(text, "utf8") > MAX_TEMPLATE_URL_BYTES)
      throw validationError("Template may not exceed 1000000 bytes in size.");
  }
  let parsed: Template;
  try {
    parsed = parseTemplate(text);
  } catch (e) {
    if (isStackfleetError(e)) throw validationError(`Template format error: ${e.message}`);
    throw e;
  }
  checkTemplate(parsed);
  return { body: text, parsed };
}

const PSEUDO = [
  "AWS::AccountId",
  "AWS::Region",
  "AWS::Partition",
  "AWS::StackName",
  "AWS::StackId",
  "AWS::URLSuffix",
  "AWS::NoValue",
  "AWS::NotificationARNs",
];

/** The static checks CloudFormation runs before anything: references resolve, conditions exist, types are supported. */
function checkTemplate(template: Template): void {
  checkParameterTypes(template);
  const resources = template.Resources;
  const conditions = template.Conditions ?? {};
  const parameters = template.Parameters ?? {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === "AWS::CloudFormation::Stack") {
      throw validationError(`Template format error: ${logicalId}: nested stacks are not supported by the sandbox`);
    }
    if (resource.Condition !== undefined && !(String(resource.Condition) in conditions)) {
      throw validationError(
        `Template format error: Unresolved dependencies [${String(resource.Condition)}]. Cannot reference resources in the Conditions block of the template`,
      );
    }
    const missing = [...references(resource).resources, ...dependsOnList(resource)].filter(
      (id) => !(id in resources) && !(id in parameters) && !PSEUDO.includes(id),
    );
    if (missing.length > 0)
      throw validationError(
        `Template format error: Unresolved resource dependencies [${[...new Set(missing)].join(", ")}] in the Resources block of the template`,
      );
  }
  for (const output of Object.values(template.Outputs ?? {})) {
    const missing = references(output).resources.filter(
      (id) => !(id in resources) && !(id in parameters) && !PSEUDO.includes(id),
    );
    if (missing.length > 0)
      throw validationError(
        `Template format error: Unresolved resource dependencies [${[...new Set(missing)].join(", ")}] in the Outputs block of the template`,
      );
  }
}

export function dependsOnList(resource: Template["Resources"][string]): string[] {
  const value = resource.DependsOn;
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** Names referenced by `Ref`, `Fn::GetAtt` and `Fn::Sub` anywhere in `value` (statically: both branches of `Fn::If`). */
export function references(value: unknown): { resources: string[]; getAtts: string[] } {
  const resources = new Set<string>();
  const getAtts = new Set<string>();
  const walk = (v: unknown, subVars: Set<string>) => {
    if (Array.isArray(v)) {
      for (const item of v) walk(item, subVars);
      return;
    }
    if (typeof v !== "object" || v === null) return;
    for (const [key, arg] of Object.entries(v)) {
      if (key === "Ref" && typeof arg === "string") resources.add(arg);
      else if (key === "Fn::GetAtt") {
        const target = typeof arg === "string" ? arg.split(".")[0] : Array.isArray(arg) ? arg[0] : undefined;
        if (typeof target === "string") {
          resources.add(target);
          getAtts.add(typeof arg === "string" ? arg : `${target}.${String(arg[1])}`);
        }
      } else if (key === "Fn::Sub") {
        const [text, vars] = Array.isArray(arg) ? [arg[0], arg[1]] : [arg, undefined];
        const local = new Set(Object.keys((vars as object | undefined) ?? {}));
        if (typeof text === "string") {
          for (const match of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
            const name = match[1]!.trim();
            if (local.has(name) || PSEUDO.includes(name)) continue;
            const target = name.split(".")[0]!;
            resources.add(target);
            if (name.includes(".")) getAtts.add(name);
          }
        }
        walk(vars, subVars);
      } else walk(arg, subVars);
    }
  };
  walk(value, new Set());
  for (const pseudo of PSEUDO) resources.delete(pseudo);
  return { resources: [...resources], getAtts: [...getAtts] };
}

// IAM resource types, with the property that gives them a custom name (which needs CAPABILITY_NAMED_IAM).
const IAM_TYPES: Record<string, string | null> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::User": "UserName",
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
  "AWS::IAM::Policy": null,
  "AWS::IAM::AccessKey": null,
  "AWS::IAM::UserToGroupAddition": null,
};

/**
 * The capabilities a template needs, decided statically like ValidateTemplate does (every IAM
 * resource counts, whatever its condition), and checked before anything is created.
 */
export function checkCapabilities(template: Template, granted: Capability[] | undefined): void {
  const have = new Set(granted ?? []);
  if (template.Transform !== undefined) {
    if (!have.has("CAPABILITY_AUTO_EXPAND")) throw insufficientCapabilities(["CAPABILITY_AUTO_EXPAND"]);
    throw validationError("Transforms (macros) are not supported by the sandbox");
  }
  let iam = false;
  let named = false;
  for (const resource of Object.values(template.Resources)) {
    if (!(resource.Type in IAM_TYPES)) continue;
    iam = true;
    const nameProperty = IAM_TYPES[resource.Type];
    if (nameProperty && resource.Properties?.[nameProperty] !== undefined) named = true;
  }
  if (named && !have.has("CAPABILITY_NAMED_IAM")) throw insufficientCapabilities(["CAPABILITY_NAMED_IAM"]);
  if (iam && !have.has("CAPABILITY_IAM") && !have.has("CAPABILITY_NAMED_IAM"))
    throw insufficientCapabilities(["CAPABILITY_IAM"]);
}
