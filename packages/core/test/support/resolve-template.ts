import type { Template } from "../../src/template/parse";

/**
 * Evaluates a template the way CloudFormation would for one stack: parameters (with defaults and
 * constraints), conditions, `Ref`, `Fn::Sub`, `Fn::GetAtt`, `Fn::If` (with `AWS::NoValue`),
 * `Fn::Equals/Not/And/Or`, `Fn::Join`, `Fn::Select`, `Fn::Split`. Resources and outputs whose condition is false are absent.
 * Physical names follow the resource's name property; only the attributes tests need exist.
 * TEST SUPPORT ONLY: a deliberately small subset, strict about anything it does not know.
 */
export type StackContext = {
  accountId: string;
  region: string;
  partition?: string;
  stackName: string;
  /** The UUID ending the stack id; every stack CloudFormation creates has its own. */
  stackUuid?: string;
  parameters: Record<string, string>;
};

export type ResolvedResource = { Type: string; Properties: Record<string, unknown> };
export type ResolvedStack = {
  parameters: Record<string, string>;
  conditions: Record<string, boolean>;
  resources: Record<string, ResolvedResource>;
  outputs: Record<string, unknown>;
};

export const STACK_UUID = "00000000-0000-4000-8000-000000000000";
const NO_VALUE = Symbol("AWS::NoValue");
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function resolveTemplate(template: Template, ctx: StackContext): ResolvedStack {
  const partition = ctx.partition ?? "aws";
  const stackId = `arn:${partition}:cloudformation:${ctx.region}:${ctx.accountId}:stack/${ctx.stackName}/${ctx.stackUuid ?? STACK_UUID}`;
  const parameters = resolveParameters(template, ctx.parameters);
  const pseudo: Record<string, string> = {
    "AWS::AccountId": ctx.accountId,
    "AWS::Region": ctx.region,
    "AWS::Partition": partition,
    "AWS::StackName": ctx.stackName,
    "AWS::StackId": stackId,
    "AWS::URLSuffix": "amazonaws.com",
  };
  const conditions: Record<string, boolean> = {};
  const condition = (name: string): boolean => {
    if (!(name in conditions)) {
      const expression = template.Conditions?.[name];
      if (expression === undefined) throw new Error(`Unknown condition ${name}`);
      conditions[name] = Boolean(evaluate(expression));
    }
    return conditions[name]!;
  };
  const exists = (logicalId: string) => {
    const resource = template.Resources[logicalId];
    return resource !== undefined && (resource.Condition === undefined || condition(resource.Condition));
  };
  const physicalName = (logicalId: string): string => {
    const resource = template.Resources[logicalId]!;
    const nameProperty = NAME_PROPERTY[resource.Type];
    const named = nameProperty ? resource.Properties?.[nameProperty] : undefined;
    return named === undefined ? `${ctx.stackName}-${logicalId}-TESTSUFFIX` : String(evaluate(named));
  };
  const reference = (name: string): unknown => {
    if (name === "AWS::NoValue") return NO_VALUE;
    if (name in pseudo) return pseudo[name];
    if (name in parameters) return parameters[name];
    if (!exists(name)) throw new Error(`Ref to missing or conditioned-out resource ${name}`);
    // Most resources' Ref is their name; a managed policy's is its ARN.
    const refArn = REF_IS_ARN[template.Resources[name]!.Type];
    return refArn
      ? refArn({ partition, region: ctx.region, accountId: ctx.accountId, name: physicalName(name) })
      : physicalName(name);
  };
  const attribute = (logicalId: string, attributeName: string): string => {
    if (!exists(logicalId)) throw new Error(`GetAtt on missing or conditioned-out resource ${logicalId}`);
    const type = template.Resources[logicalId]!.Type;
    const name = physicalName(logicalId);
    const arn = ARN[`${type}.${attributeName}`];
    if (!arn) throw new Error(`GetAtt ${type}.${attributeName} is not modelled`);
    return arn({ partition, region: ctx.region, accountId: ctx.accountId, name });
  };
  const substitute = (text: string, variables: Record<string, unknown>): string =>
    text.replace(/\$\{([^}]*)\}/g, (whole, name: string) => {
      if (name.startsWith("!")) return `\${${name.slice(1)}}`;
      if (name in variables) return String(evaluate(variables[name]));
      const dot = name.indexOf(".");
      if (dot > 0 && !name.startsWith("AWS::")) return attribute(name.slice(0, dot), name.slice(dot + 1));
      const value = reference(name);
      if (typeof value !== "string") throw new Error(`\${${name}} does not resolve to a string in ${whole}`);
      return value;
    });

  function evaluate(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(evaluate).filter((v) => v !== NO_VALUE);
    if (!isRecord(value)) return value;
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const key = keys[0]!;
      const arg = value[key];
      switch (key) {
        case "Ref":
          return reference(String(arg));
        case "Condition":
          return condition(String(arg));
        case "Fn::Sub":
          return Array.isArray(arg)
            ? substitute(String(arg[0]), (arg[1] ?? {}) as Record<string, unknown>)
            : substitute(String(arg), {});
        case "Fn::GetAtt": {
          const [logicalId, name] = Array.isArray(arg) ? arg : String(arg).split(".");
          return attribute(String(logicalId), String(name));
        }
        case "Fn::If": {
          const [name, whenTrue, whenFalse] = arg as [string, unknown, unknown];
          return evaluate(condition(name) ? whenTrue : whenFalse);
        }
        case "Fn::Equals": {
          const [a, b] = (arg as unknown[]).map(evaluate);
          return JSON.stringify(a) === JSON.stringify(b);
        }
        case "Fn::Not":
          return !evaluate((arg as unknown[])[0]);
        case "Fn::And":
          return (arg as unknown[]).every((c) => Boolean(evaluate(c)));
        case "Fn::Or":
          return (arg as unknown[]).some((c) => Boolean(evaluate(c)));
        case "Fn::Join": {
          const [separator, items] = arg as [string, unknown];
          return (evaluate(items) as unknown[]).join(separator);
        }
        case "Fn::Select": {
          const [index, items] = arg as [number, unknown];
          const list = evaluate(items) as unknown[];
          if (!Array.isArray(list) || list[index] === undefined) throw new Error(`Fn::Select: no item ${index}`);
          return list[index];
        }
        case "Fn::Split": {
          const [separator, text] = arg as [string, unknown];
          return String(evaluate(text)).split(separator);
        }
      }
      if (key.startsWith("Fn::")) throw new Error(`${key} is not modelled`);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const resolved = evaluate(v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  for (const name of Object.keys(template.Conditions ?? {})) condition(name);
  const resources: Record<string, ResolvedResource> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!exists(logicalId)) continue;
    resources[logicalId] = {
      Type: resource.Type,
      Properties: evaluate(resource.Properties ?? {}) as Record<string, unknown>,
    };
  }
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (typeof output.Condition === "string" && !condition(output.Condition)) continue;
    outputs[name] = evaluate(output.Value);
  }
  return { parameters, conditions, resources, outputs };
}

const NAME_PROPERTY: Record<string, string> = {
  "AWS::IAM::Role": "RoleName",
  "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
  "AWS::Lambda::Function": "FunctionName",
  "AWS::Logs::LogGroup": "LogGroupName",
};

type ArnParts = { partition: string; region: string; accountId: string; name: string };
const ARN: Record<string, (p: ArnParts) => string> = {
  "AWS::IAM::Role.Arn": (p) => `arn:${p.partition}:iam::${p.accountId}:role/${p.name}`,
  "AWS::Lambda::Function.Arn": (p) => `arn:${p.partition}:lambda:${p.region}:${p.accountId}:function:${p.name}`,
  "AWS::Logs::LogGroup.Arn": (p) => `arn:${p.partition}:logs:${p.region}:${p.accountId}:log-group:${p.name}:*`,
};

const REF_IS_ARN: Record<string, (p: ArnParts) => string> = {
  "AWS::IAM::ManagedPolicy": (p) => `arn:${p.partition}:iam::${p.accountId}:policy/${p.name}`,
};

/** CloudFormation's parameter checks: unknown names, defaults, AllowedValues, AllowedPattern, lengths. */
function resolveParameters(template: Template, given: Record<string, string>): Record<string, string> {
  const declared = template.Parameters ?? {};
  for (const name of Object.keys(given)) {
    if (!(name in declared)) throw new Error(`Parameters: [${name}] do not exist in the template`);
  }
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const value = given[name] ?? (spec.Default as string | undefined);
    if (value === undefined) throw new Error(`Parameters: [${name}] must have values`);
    const allowed = spec.AllowedValues as string[] | undefined;
    if (allowed && !allowed.includes(value)) throw new Error(`Parameter ${name} must be one of ${allowed.join(", ")}`);
    const pattern = spec.AllowedPattern as string | undefined;
    if (pattern && !new RegExp(`^(?:${pattern})$`).test(value))
      throw new Error(`Parameter ${name} must match pattern ${pattern}`);
    if (typeof spec.MinLength === "number" && value.length < spec.MinLength)
      throw new Error(`Parameter ${name} is too short`);
    if (typeof spec.MaxLength === "number" && value.length > spec.MaxLength)
      throw new Error(`Parameter ${name} is too long`);
    out[name] = value;
  }
  return out;
}
