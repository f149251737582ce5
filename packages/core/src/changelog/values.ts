/**
 * Normal forms for template values, so that two spellings of the same thing compare equal:
 * `!Sub "arn:${AWS::Partition}:s3:::${Bucket}/*"` and the equivalent `!Join` both render to the
 * same symbolic string, and `Fn::If` is expanded into its branches, each tagged with the
 * template condition under which it applies.
 */

/** A value that applies only when every condition in `when` holds (`"!X"` = X is false). */
export type Guarded<T> = { when: string[]; value: T };

// Expanding nested `Fn::If`s multiplies variants; a template that exceeds this is not a
// realistic integration template, and we fall back to comparing the expression symbolically.
const MAX_VARIANTS = 256;

const NO_VALUE = Symbol("AWS::NoValue");

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function singleKey(v: unknown): [string, unknown] | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 ? [keys[0]!, v[keys[0]!]] : undefined;
}

/** Merges two condition lists; undefined when they contradict (X and !X). */
export function mergeWhen(a: string[], b: string[]): string[] | undefined {
  const all = [...new Set([...a, ...b])].sort();
  for (const c of all) if (!c.startsWith("!") && all.includes(`!${c}`)) return undefined;
  return all;
}

const negate = (condition: string) => (condition.startsWith("!") ? condition.slice(1) : `!${condition}`);

/**
 * Every variant of `value` under the template's `Fn::If`s. `{ Ref: AWS::NoValue }` removes
 * the enclosing property or list element; a variant whose root is NoValue is dropped.
 */
export function expandIf(value: unknown, when: string[] = []): Guarded<unknown>[] {
  const variants = expand(value, when);
  if (variants.length > MAX_VARIANTS) return [{ when, value }];
  return variants.filter((v) => v.value !== NO_VALUE);
}

function expand(value: unknown, when: string[]): Guarded<unknown>[] {
  const single = singleKey(value);
  if (single?.[0] === "Ref" && single[1] === "AWS::NoValue") return [{ when, value: NO_VALUE }];
  if (
    single?.[0] === "Fn::If" &&
    Array.isArray(single[1]) &&
    single[1].length === 3 &&
    typeof single[1][0] === "string"
  ) {
    const [condition, then, otherwise] = single[1] as [string, unknown, unknown];
    const out: Guarded<unknown>[] = [];
    for (const [branch, c] of [
      [then, condition],
      [otherwise, negate(condition)],
    ] as const) {
      const merged = mergeWhen(when, [c]);
      if (merged) out.push(...expand(branch, merged));
    }
    return out;
  }
  if (Array.isArray(value)) {
    let acc: Guarded<unknown[]>[] = [{ when, value: [] }];
    for (const element of value) {
      const next: Guarded<unknown[]>[] = [];
      for (const partial of acc) {
        for (const v of expand(element, partial.when)) {
          next.push({ when: v.when, value: v.value === NO_VALUE ? partial.value : [...partial.value, v.value] });
        }
      }
      acc = next;
      if (acc.length > MAX_VARIANTS) return acc; // expandIf sees the overflow and gives up
    }
    return acc;
  }
  if (isObject(value)) {
    let acc: Guarded<Record<string, unknown>>[] = [{ when, value: {} }];
    for (const [key, child] of Object.entries(value)) {
      const next: Guarded<Record<string, unknown>>[] = [];
      for (const partial of acc) {
        for (const v of expand(child, partial.when)) {
          next.push({
            when: v.when,
            value: v.value === NO_VALUE ? partial.value : { ...partial.value, [key]: v.value },
          });
        }
      }
      acc = next;
      if (acc.length > MAX_VARIANTS) return acc; // expandIf sees the overflow and gives up
    }
    return acc;
  }
  return [{ when, value }];
}

/**
 * Resolves `Fn::If` at the root of `value` only (a list or document chosen by a condition),
 * leaving its contents for the caller to expand piece by piece.
 */
export function unwrapIf(value: unknown, when: string[] = []): Guarded<unknown>[] {
  const single = singleKey(value);
  if (single?.[0] === "Ref" && single[1] === "AWS::NoValue") return [];
  if (
    single?.[0] !== "Fn::If" ||
    !Array.isArray(single[1]) ||
    single[1].length !== 3 ||
    typeof single[1][0] !== "string"
  ) {
    return [{ when, value }];
  }
  const [condition, then, otherwise] = single[1] as [string, unknown, unknown];
  const out: Guarded<unknown>[] = [];
  for (const [branch, c] of [
    [then, condition],
    [otherwise, negate(condition)],
  ] as const) {
    const merged = mergeWhen(when, [c]);
    if (merged) out.push(...unwrapIf(branch, merged));
  }
  return out;
}

/** JSON with sorted object keys: the identity of a value regardless of key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Code-unit order, the same on every machine (unlike `localeCompare`), for stable JSON. */
export const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Returns `value` with object keys sorted recursively, for stable JSON output. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

/**
 * Renders a scalar-valued template expression as a symbolic string: references become
 * `${Name}` / `${Name.Attr}` as in `Fn::Sub`, joins are flattened, and anything else
 * (Fn::Select, Fn::FindInMap…) is kept as its canonical JSON in `${…}`.
 */
export function render(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  const single = singleKey(value);
  if (single) {
    const [fn, arg] = single;
    if (fn === "Ref" && typeof arg === "string") return `\${${arg}}`;
    if (fn === "Fn::GetAtt") {
      if (typeof arg === "string") return `\${${arg}}`;
      if (Array.isArray(arg) && arg.every((a) => typeof a === "string")) return `\${${arg.join(".")}}`;
    }
    if (fn === "Fn::Sub") return renderSub(arg);
    if (fn === "Fn::Join" && Array.isArray(arg) && typeof arg[0] === "string" && Array.isArray(arg[1])) {
      return arg[1].map(render).join(arg[0]);
    }
  }
  return `\${${canonical(value)}}`;
}

function renderSub(arg: unknown): string {
  if (typeof arg === "string") return arg;
  if (Array.isArray(arg) && typeof arg[0] === "string" && isObject(arg[1])) {
    const vars = arg[1];
    // `${!Literal}` is an escape, not a variable; leave it alone.
    return arg[0].replace(/\$\{([^!}][^}]*)\}/g, (whole, name: string) => (name in vars ? render(vars[name]) : whole));
  }
  return `\${${canonical({ "Fn::Sub": arg })}}`;
}

/** A list-or-scalar policy field as a sorted, de-duplicated list of rendered strings. */
export function renderList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const items = Array.isArray(value) ? value : [value];
  return [...new Set(items.map(render))].sort();
}
