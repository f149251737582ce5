import type { Parameter } from "@aws-sdk/client-cloudformation";
import type { Template } from "@stackfleet/core/template/parse";
import { validationError } from "./errors";

type Declaration = Record<string, unknown>;

const AWS_SPECIFIC = /^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+(::[A-Za-z0-9]+)?$/;

export function isListType(type: string): boolean {
  return type === "CommaDelimitedList" || /^List<.+>$/.test(type);
}

/** Parameter types the sandbox accepts; AWS-specific types are plain strings here (nothing to look up). */
export function checkParameterTypes(template: Template): void {
  for (const [name, declaration] of Object.entries(template.Parameters ?? {})) {
    const type = declaration.Type;
    if (typeof type !== "string")
      throw validationError(`Template format error: Every Parameters object must contain a Type member.`);
    if (type.startsWith("AWS::SSM::Parameter::")) {
      throw validationError(
        `Template format error: parameter ${name}: SSM parameter types are not supported by the sandbox`,
      );
    }
    const element = /^List<(.+)>$/.exec(type)?.[1];
    const ok =
      ["String", "Number", "CommaDelimitedList"].includes(type) ||
      AWS_SPECIFIC.test(type) ||
      element === "Number" ||
      (element !== undefined && AWS_SPECIFIC.test(element));
    if (!ok) throw validationError(`Template format error: Unrecognized parameter type: ${type}`);
  }
}

/**
 * The parameter values of a create or update, as CloudFormation resolves them: given value,
 * previous value (`UsePreviousValue`, only for keys the stack already has), else the template default.
 * An omitted parameter does NOT keep its previous value — it falls back to the default.
 */
export function resolveParameters(
  template: Template,
  given: Parameter[] | undefined,
  previous?: Record<string, string>,
): Record<string, string> {
  const declarations = template.Parameters ?? {};
  const unknown = (given ?? []).map((p) => p.ParameterKey ?? "").filter((key) => !(key in declarations));
  if (unknown.length > 0) throw validationError(`Parameters: [${unknown.join(", ")}] do not exist in the template`);

  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, declaration] of Object.entries(declarations)) {
    const input = given?.find((p) => p.ParameterKey === name);
    let value: string | undefined;
    if (input?.UsePreviousValue) {
      if (input.ParameterValue !== undefined && input.ParameterValue !== "") {
        throw validationError(
          `Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true and non empty value for a parameter key`,
        );
      }
      value = previous?.[name];
      if (value === undefined) {
        throw validationError(
          `Invalid input for parameter key ${name}. Cannot specify usePreviousValue as true for a parameter key not in the previous template`,
        );
      }
    } else if (input?.ParameterValue !== undefined) {
      value = input.ParameterValue;
    } else if (declaration.Default !== undefined) {
      value = stringValue(declaration.Default);
    }
    if (value === undefined) missing.push(name);
    else values[name] = value;
  }
  if (missing.length > 0) throw validationError(`Parameters: [${missing.join(", ")}] must have values`);
  for (const [name, value] of Object.entries(values)) checkConstraints(name, declarations[name]!, value);
  return values;
}

function stringValue(value: unknown): string {
  return Array.isArray(value) ? value.map(String).join(",") : String(value);
}

function checkConstraints(name: string, declaration: Declaration, value: string): void {
  const type = String(declaration.Type);
  const fail = (message: string) => {
    const description = declaration.ConstraintDescription;
    throw validationError(
      typeof description === "string" ? `Parameter '${name}' failed to satisfy constraint: ${description}` : message,
    );
  };
  const elements = isListType(type) ? value.split(",") : [value];
  const numeric = type === "Number" || type === "List<Number>";
  for (const element of elements) {
    if (numeric && (element.trim() === "" || Number.isNaN(Number(element))))
      throw validationError(`Parameter '${name}' must be a number.`);
    const allowed = declaration.AllowedValues;
    if (Array.isArray(allowed) && !allowed.map(String).includes(element))
      fail(`Parameter '${name}' must be one of AllowedValues`);
    const pattern = declaration.AllowedPattern;
    if (typeof pattern === "string" && !new RegExp(`^(?:${pattern})$`).test(element))
      fail(`Parameter '${name}' must match pattern ${pattern}`);
    if (numeric) {
      const n = Number(element);
      if (declaration.MinValue !== undefined && n < Number(declaration.MinValue))
        fail(`Parameter '${name}' must be a number not less than ${String(declaration.MinValue)}`);
      if (declaration.MaxValue !== undefined && n > Number(declaration.MaxValue))
        fail(`Parameter '${name}' must be a number not greater than ${String(declaration.MaxValue)}`);
    }
  }
  if (!numeric) {
    if (declaration.MinLength !== undefined && value.length < Number(declaration.MinLength))
      fail(`Parameter '${name}' must contain at least ${String(declaration.MinLength)} characters`);
    if (declaration.MaxLength !== undefined && value.length > Number(declaration.MaxLength))
      fail(`Parameter '${name}' must contain at most ${String(declaration.MaxLength)} characters`);
  }
}

/** Values as `Ref` sees them: list-typed parameters are arrays. */
export function parameterRefValues(
  template: Template,
  values: Record<string, string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(values)) {
    const type = String(template.Parameters?.[name]?.Type ?? "String");
    out[name] = isListType(type) ? (value === "" ? [] : value.split(",")) : value;
  }
  return out;
}

/** The stack's parameters as DescribeStacks/DescribeChangeSet show them: NoEcho values masked. */
export function describeParameters(template: Template | undefined, values: Record<string, string>): Parameter[] {
  return Object.entries(values).map(([key, value]) => ({
    ParameterKey: key,
    ParameterValue: isNoEcho(template?.Parameters?.[key]) ? "****" : value,
  }));
}

function isNoEcho(declaration: Declaration | undefined): boolean {
  return declaration?.NoEcho === true || declaration?.NoEcho === "true";
}
