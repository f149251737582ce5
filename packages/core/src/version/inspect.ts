import { createHash } from "node:crypto";
import { inputError } from "../error";
import { parseTemplate, type Template } from "../template/parse";
import { type Capability, MAX_TEMPLATE_BYTES } from "./manifest";

export type InspectOptions = {
  /** Allow `Transform`, `Fn::Transform`, macros, modules and SAM resources (adds CAPABILITY_AUTO_EXPAND). */
  allowTransforms?: boolean;
  /** Allow nested stacks and other content CloudFormation fetches by URL at deploy time. */
  allowNestedStacks?: boolean;
};

export type TemplateInspection = {
  sha256: string;
  size: number;
  capabilities: Capability[];
  /** Every parameter the template declares, sorted. */
  parameters: string[];
  /** Unsigned content the operator explicitly allowed, for the changelog to show. */
  allowedUnsignedContent: string[];
};

/**
 * Types whose content is not in the template's bytes: CloudFormation expands them from
 * macros/modules (transforms) or fetches them from a URL (nested stacks, registry packages).
 * Either way the signature would not cover what actually gets deployed.
 */
const EXPANDED_TYPES = new Set(["AWS::CloudFormation::Macro"]);
const EXPANDED_TYPE_PATTERNS = [/^AWS::Serverless::/, /::MODULE$/];
const FETCHED_TYPES = new Set([
  "AWS::CloudFormation::Stack",
  "AWS::CloudFormation::StackSet",
  "AWS::CloudFormation::ModuleVersion",
  "AWS::CloudFormation::ResourceVersion",
  "AWS::CloudFormation::HookVersion",
  "AWS::ServiceCatalog::CloudFormationProvisionedProduct",
]);

// Resource types that need CAPABILITY_IAM, and the property that, when set, makes them NAMED_IAM.
const IAM_TYPES: Record<string, string | null> = {
  "AWS::IAM::AccessKey": null,
  "AWS::IAM::Group": "GroupName",
  "AWS::IAM::GroupPolicy": null,
  "AWS::IAM::InstanceProfile": "InstanceProfileName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::IAM::Policy": null,
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::RolePolicy": null,
  "AWS::IAM::User": "UserName",
  "AWS::IAM::UserPolicy": null,
  "AWS::IAM::UserToGroupAddition": null,
};

/**
 * Publication-time checks on a template: it parses, fits `TemplateBody`, and pulls nothing
 * unsigned at deploy time unless explicitly allowed. Returns what the manifest needs. Runs only
 * at publication; the executor never parses templates before verifying them.
 */
export function inspectTemplate(bytes: Uint8Array, options: InspectOptions = {}): TemplateInspection {
  if (bytes.length === 0) throw inputError("template_invalid", "Template is empty");
  if (bytes.length > MAX_TEMPLATE_BYTES) {
    throw inputError(
      "template_oversize",
      `Template is ${bytes.length} bytes; TemplateBody allows ${MAX_TEMPLATE_BYTES}`,
      {
        size: bytes.length,
        limit: MAX_TEMPLATE_BYTES,
      },
    );
  }
  const template = parseTemplate(bytes);
  const allowed: string[] = [];
  const capabilities = new Set<Capability>();

  const transform = (what: string) => {
    if (!options.allowTransforms) {
      throw inputError("template_transform", `${what} expands into content the signature does not cover; not allowed`);
    }
    allowed.push(what);
    capabilities.add("CAPABILITY_AUTO_EXPAND");
  };
  const fetched = (what: string) => {
    if (!options.allowNestedStacks) {
      throw inputError("template_nested_stack", `${what} is fetched at deploy time, unsigned; not allowed`);
    }
    allowed.push(what);
    // What the fetched content needs cannot be known here, and CloudFormation checks nested
    // stacks' capabilities at creation: ask for all of them rather than fail every update.
    for (const capability of ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"] as const) {
      capabilities.add(capability);
    }
  };

  if (template.Transform !== undefined) transform(`Transform ${JSON.stringify(template.Transform)}`);
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const type = resource.Type;
    if (EXPANDED_TYPES.has(type) || EXPANDED_TYPE_PATTERNS.some((p) => p.test(type)))
      transform(`${logicalId} (${type})`);
    if (FETCHED_TYPES.has(type)) fetched(`${logicalId} (${type})`);
    if (type in IAM_TYPES) {
      capabilities.add("CAPABILITY_IAM");
      const nameProperty = IAM_TYPES[type];
      if (nameProperty && resource.Properties?.[nameProperty] !== undefined) capabilities.add("CAPABILITY_NAMED_IAM");
    }
  }
  for (const { key, path } of keysAnywhere(template)) {
    if (key === "Fn::Transform") transform(`Fn::Transform at ${path}`);
    if (key === "TemplateURL") fetched(`TemplateURL at ${path}`);
  }

  return {
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
    capabilities: [...capabilities].sort(),
    parameters: Object.keys(template.Parameters ?? {}).sort(),
    allowedUnsignedContent: allowed,
  };
}

/** Every object key with its path; iterative, since a 50 KB template can nest deeper than the stack. */
function* keysAnywhere(template: Template): Generator<{ key: string; path: string }> {
  const pending: Array<{ value: unknown; path: string }> = [{ value: template, path: "" }];
  while (pending.length > 0) {
    const { value, path } = pending.pop()!;
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) pending.push({ value: item, path: `${path}/${i}` });
    } else if (value !== null && typeof value === "object") {
      for (const [key, child] of Object.entries(value)) {
        yield { key, path: `${path}/${key}` };
        pending.push({ value: child, path: `${path}/${key}` });
      }
    }
  }
}
