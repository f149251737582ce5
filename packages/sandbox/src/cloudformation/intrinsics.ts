import { TemplateError } from "./errors";

/** `Ref: AWS::NoValue`: removes the property or list element it stands in. */
export const NO_VALUE = Symbol("AWS::NoValue");

/**
 * A value only known once a resource has been (re)created: what a change set shows as
 * "{{changeSet:KNOWN_AFTER_APPLY}}". It never equals a concrete value, so a property that depends
 * on a replaced resource counts as changed (a `Dynamic` evaluation).
 */
export class Unresolved {
  constructor(readonly expression: string) {}
  toJSON() {
    return "{{changeSet:KNOWN_AFTER_APPLY}}";
  }
}

export interface ResolveContext {
  /** Parameter values; list-typed parameters are arrays. */
  parameters: Record<string, string | string[]>;
  pseudo: Record<string, unknown>;
  conditions: Record<string, boolean>;
  mappings: Record<string, unknown>;
  region: string;
  ref(logicalId: string): unknown;
  getAtt(logicalId: string, attribute: string): unknown;
}

export function isIntrinsic(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === "Ref" || keys[0]!.startsWith("Fn::"));
}

/** Resolves every intrinsic function in `value`, dropping `AWS::NoValue` keys and list elements. */
export function resolve(value: unknown, ctx: ResolveContext): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, ctx)).filter((v) => v !== NO_VALUE);
  if (typeof value !== "object" || value === null || value instanceof Unresolved) return value;
  if (isIntrinsic(value)) {
    const [name, args] = Object.entries(value)[0]!;
    return evaluate(name, args, ctx);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const resolved = resolve(v, ctx);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function evaluate(name: string, args: unknown, ctx: ResolveContext): unknown {
  switch (name) {
    case "Ref":
      return ref(args, ctx);
    case "Fn::GetAtt":
      return getAtt(args, ctx);
    case "Fn::Sub":
      return sub(args, ctx);
    case "Fn::Join":
      return join(args, ctx);
    case "Fn::If":
      return fnIf(args, ctx);
    case "Fn::Select":
      return select(args, ctx);
    case "Fn::Split":
      return split(args, ctx);
    case "Fn::FindInMap":
      return findInMap(args, ctx);
    case "Fn::Base64": {
      const text = resolve(args, ctx);
      if (text instanceof Unresolved) return text;
      return Buffer.from(asString(text, "Fn::Base64")).toString("base64");
    }
    case "Fn::GetAZs": {
      const region = resolve(args, ctx);
      const r = typeof region === "string" && region !== "" ? region : ctx.region;
      return ["a", "b", "c"].map((zone) => `${r}${zone}`);
    }
    case "Fn::Equals":
    case "Fn::And":
    case "Fn::Or":
    case "Fn::Not":
      return evaluateCondition({ [name]: args }, ctx);
    default:
      throw new TemplateError(`Template error: ${name} is not supported by the sandbox`);
  }
}

function ref(args: unknown, ctx: ResolveContext): unknown {
  const name = typeof args === "string" ? args : undefined;
  if (name === undefined) throw new TemplateError("Template error: every Ref object must have a single String value.");
  if (name === "AWS::NoValue") return NO_VALUE;
  if (name in ctx.pseudo) return ctx.pseudo[name];
  if (name in ctx.parameters) return ctx.parameters[name];
  return ctx.ref(name);
}

function getAtt(args: unknown, ctx: ResolveContext): unknown {
  const parts = typeof args === "string" ? splitDotted(args) : Array.isArray(args) ? args : undefined;
  const logicalId = parts?.[0];
  const attribute = parts && parts.length > 1 ? resolve(parts[1], ctx) : undefined;
  if (typeof logicalId !== "string" || typeof attribute !== "string") {
    throw new TemplateError("Template error: every Fn::GetAtt object requires two non-empty parameters");
  }
  return ctx.getAtt(logicalId, attribute);
}

function splitDotted(value: string): [string, string] {
  const dot = value.indexOf(".");
  return dot < 0 ? [value, ""] : [value.slice(0, dot), value.slice(dot + 1)];
}

function sub(args: unknown, ctx: ResolveContext): unknown {
  const [template, vars] = Array.isArray(args) ? [args[0], args[1] ?? {}] : [args, {}];
  if (typeof template !== "string" || typeof vars !== "object" || vars === null) {
    throw new TemplateError(
      "Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments.",
    );
  }
  const variables = resolve(vars, ctx) as Record<string, unknown>;
  let unresolved = false;
  const text = template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (inner.startsWith("!")) return `\${${inner.slice(1)}}`;
    const name = inner.trim();
    let value: unknown;
    if (name in variables) value = variables[name];
    else if (name.includes(".") && !(name in ctx.pseudo)) value = ctx.getAtt(...splitDotted(name));
    else value = ref(name, ctx);
    if (value instanceof Unresolved) {
      unresolved = true;
      return whole;
    }
    return scalarString(value, "Fn::Sub");
  });
  return unresolved ? new Unresolved(text) : text;
}

function join(args: unknown, ctx: ResolveContext): unknown {
  if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== "string") {
    throw new TemplateError(
      "Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.",
    );
  }
  const list = resolve(args[1], ctx);
  if (list instanceof Unresolved) return list;
  if (!Array.isArray(list)) throw new TemplateError("Template error: Fn::Join requires a list of strings");
  if (list.some((v) => v instanceof Unresolved)) return new Unresolved(list.map(String).join(args[0]));
  return list.map((v) => scalarString(v, "Fn::Join")).join(args[0]);
}

function fnIf(args: unknown, ctx: ResolveContext): unknown {
  if (!Array.isArray(args) || args.length !== 3 || typeof args[0] !== "string") {
    throw new TemplateError("Template error: Fn::If requires a list argument with three elements");
  }
  const condition = ctx.conditions[args[0]];
  if (condition === undefined)
    throw new TemplateError(`Template error: unresolved condition dependency ${args[0]} in Fn::If`);
  return resolve(condition ? args[1] : args[2], ctx);
}

function select(args: unknown, ctx: ResolveContext): unknown {
  if (!Array.isArray(args) || args.length !== 2)
    throw new TemplateError("Template error: Fn::Select requires a list argument with two elements");
  const index = Number(resolve(args[0], ctx));
  const list = resolve(args[1], ctx);
  if (list instanceof Unresolved) return list;
  if (!Array.isArray(list))
    throw new TemplateError("Template error: Fn::Select requires a list as its second argument");
  if (!Number.isInteger(index) || index < 0 || index >= list.length) {
    throw new TemplateError(`Template error: Fn::Select cannot select nonexistent value at index ${String(args[0])}`);
  }
  return list[index];
}

function split(args: unknown, ctx: ResolveContext): unknown {
  if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== "string") {
    throw new TemplateError("Template error: Fn::Split requires a delimiter and a string");
  }
  const source = resolve(args[1], ctx);
  if (source instanceof Unresolved) return source;
  return asString(source, "Fn::Split").split(args[0]);
}

function findInMap(args: unknown, ctx: ResolveContext): unknown {
  if (!Array.isArray(args) || args.length !== 3)
    throw new TemplateError("Template error: Fn::FindInMap requires three arguments");
  const [map, top, second] = args.map((a) => resolve(a, ctx));
  const mapping = ctx.mappings[String(map)] as Record<string, Record<string, unknown>> | undefined;
  const value = mapping?.[String(top)]?.[String(second)];
  if (value === undefined)
    throw new TemplateError(
      `Template error: Unable to get mapping for ${String(map)}::${String(top)}::${String(second)}`,
    );
  return value;
}

/** Evaluates a condition expression (`Fn::Equals`/`And`/`Or`/`Not`, `Condition`) to a boolean. */
export function evaluateCondition(expression: unknown, ctx: ResolveContext): boolean {
  if (typeof expression !== "object" || expression === null || Array.isArray(expression)) {
    throw new TemplateError("Template error: a condition must be a condition function");
  }
  const [name, args] = Object.entries(expression)[0] ?? [];
  if (name === "Condition") {
    const value = typeof args === "string" ? ctx.conditions[args] : undefined;
    if (value === undefined) throw new TemplateError(`Template error: unresolved condition dependency ${String(args)}`);
    return value;
  }
  const list = Array.isArray(args) ? args : [];
  switch (name) {
    case "Fn::Equals": {
      if (list.length !== 2) throw new TemplateError("Template error: Fn::Equals requires two arguments");
      const [a, b] = list.map((v) => normalise(resolve(v, ctx)));
      return JSON.stringify(a) === JSON.stringify(b);
    }
    case "Fn::And":
      if (list.length < 2 || list.length > 10)
        throw new TemplateError("Template error: Fn::And requires 2 to 10 conditions");
      return list.map((c) => evaluateCondition(c, ctx)).every(Boolean);
    case "Fn::Or":
      if (list.length < 2 || list.length > 10)
        throw new TemplateError("Template error: Fn::Or requires 2 to 10 conditions");
      return list.map((c) => evaluateCondition(c, ctx)).some(Boolean);
    case "Fn::Not":
      if (list.length !== 1) throw new TemplateError("Template error: Fn::Not requires one condition");
      return !evaluateCondition(list[0], ctx);
    default:
      throw new TemplateError(`Template error: ${String(name)} is not a condition function`);
  }
}

// CloudFormation compares condition operands as strings: `!Equals [!Ref Count, 1]` holds for "1".
function normalise(value: unknown): unknown {
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return value.map(normalise);
  return value;
}

function scalarString(value: unknown, fn: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new TemplateError(`Template error: ${fn} can only use string values, got ${JSON.stringify(value)}`);
}

function asString(value: unknown, fn: string): string {
  return scalarString(value, fn);
}

/** Evaluates all the template's conditions once, in dependency order; a cycle is a template error. */
export function evaluateConditions(
  conditions: Record<string, unknown> | undefined,
  base: Omit<ResolveContext, "conditions">,
): Record<string, boolean> {
  const results: Record<string, boolean> = {};
  const visiting = new Set<string>();
  const defined = conditions ?? {};
  const ctx: ResolveContext = {
    ...base,
    // Conditions may reference each other but never resources.
    ref: (name) => {
      throw new TemplateError(
        `Template format error: Unresolved dependencies [${name}]. Cannot reference resources in the Conditions block of the template`,
      );
    },
    getAtt: (name) => {
      throw new TemplateError(
        `Template format error: Unresolved dependencies [${name}]. Cannot reference resources in the Conditions block of the template`,
      );
    },
    conditions: new Proxy(results, {
      get: (target, name: string) => {
        if (name in target) return target[name];
        if (!(name in defined)) return undefined;
        if (visiting.has(name)) throw new TemplateError(`Template error: circular condition dependency ${name}`);
        visiting.add(name);
        target[name] = evaluateCondition(defined[name], ctx);
        visiting.delete(name);
        return target[name];
      },
    }),
  };
  for (const name of Object.keys(defined)) void ctx.conditions[name];
  return results;
}
