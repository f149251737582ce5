/**
 * The part of `jsonschema` (1.5) that ElectroDB uses, swapped in for the executor's Lambda bundle
 * only (infra/executor-bundle.mjs): 28 KiB of the bundle's 450 went to a validator that only ever
 * checks ElectroDB's own model schemas (electrodb/src/validations.js) at `new Entity()` and tells
 * models from Entity instances when a Service is built.
 *
 * Trade-off: this is a second implementation of that check, so it must not drift. It implements
 * exactly the keywords those schemas use, with jsonschema's semantics and error texts (ElectroDB
 * puts them into its InvalidModel message), and throws on any other keyword, so an ElectroDB
 * upgrade that uses more fails the first `new Entity()` instead of passing silently.
 * test/jsonschema-subset.test.ts loads ElectroDB's validations against both validators and checks
 * every entity model, Entity instances and a set of broken models give the same answers. Tests,
 * the API and the local runtime keep the real jsonschema.
 */
type Schema = {
  id?: string;
  $ref?: string;
  type?: string | string[];
  required?: boolean | string[];
  properties?: Record<string, Schema>;
  patternProperties?: Record<string, Schema>;
  items?: Schema;
  enum?: unknown[];
  format?: string;
  minProperties?: number;
};
type Format = (input: unknown) => boolean;
export type ValidationError = { property: string; name: string; message: string; argument?: unknown };

const isObject = (value: unknown): value is Record<string, unknown> =>
  !!value && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date);

const TYPES: Record<string, (value: unknown) => boolean> = {
  string: (value) => typeof value === "string",
  number: (value) => typeof value === "number" && Number.isFinite(value),
  boolean: (value) => typeof value === "boolean",
  array: Array.isArray,
  object: isObject,
  any: () => true,
};
// `id` and `message` are annotations jsonschema does not check.
const KEYWORDS = new Set([
  "id",
  "message",
  "$ref",
  "type",
  "required",
  "properties",
  "patternProperties",
  "items",
  "enum",
  "format",
  "minProperties",
]);

// Compiled once: every attribute of every entity is matched at each cold start.
const patterns = new Map<string, RegExp>();
const compiled = (pattern: string) => {
  let regexp = patterns.get(pattern);
  if (!regexp) patterns.set(pattern, (regexp = new RegExp(pattern, "u")));
  return regexp;
};

// jsonschema's property paths: `instance.name`, `instance[0]`, `instance["a.b"]`.
const child = (path: string, key: string | number) => {
  const name = String(key);
  if (!/[.\s[\]]/.test(name) && !/^\d/.test(name)) return `${path}.${name}`;
  return /^\d+$/.test(name) ? `${path}[${name}]` : `${path}[${JSON.stringify(name)}]`;
};

// jsonschema's getEnumerableProperty: an own property, or the nearest prototype's enumerable one.
function property(object: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(object, key)) return object[key];
  if (!(key in object)) return undefined;
  for (let proto = Object.getPrototypeOf(object); proto; proto = Object.getPrototypeOf(proto))
    if (Object.prototype.propertyIsEnumerable.call(proto, key)) return proto[key];
  return undefined;
}

export class Validator {
  declare customFormats: Record<string, Format>;
  private readonly schemas = new Map<string, Schema>();

  addSchema(schema: Schema, uri?: string) {
    if (uri) this.schemas.set(uri, schema);
    if (schema.id) this.schemas.set(schema.id, schema);
    return schema;
  }

  validate(instance: unknown, schema: Schema): { errors: ValidationError[]; valid: boolean } {
    const errors: ValidationError[] = [];
    this.check(instance, schema, "instance", errors);
    return { errors, valid: errors.length === 0 };
  }

  private check(value: unknown, schema: Schema, path: string, errors: ValidationError[]): void {
    // jsonschema ignores a $ref's sibling keywords.
    if (schema.$ref !== undefined) {
      this.check(value, this.resolve(schema.$ref), path, errors);
      return;
    }
    const fail = (name: string, message: string, argument?: unknown) =>
      errors.push({ property: path, name, message, ...(argument === undefined ? {} : { argument }) });
    // In the schema's key order, as jsonschema reports them.
    for (const keyword of Object.keys(schema)) {
      if (!KEYWORDS.has(keyword)) throw new Error(`jsonschema subset: unsupported keyword "${keyword}"`);
      if (keyword === "type" && value !== undefined) {
        const types = ([] as string[]).concat(schema.type ?? []);
        if (!types.some((type) => (TYPES[type] ?? (() => true))(value)))
          fail("type", `is not of a type(s) ${types}`, types);
      } else if (keyword === "required") {
        if (value === undefined && schema.required === true) fail("required", "is required");
        else if (isObject(value) && Array.isArray(schema.required))
          for (const name of schema.required)
            if (property(value, name) === undefined)
              fail("required", `requires property ${JSON.stringify(name)}`, name);
      } else if (keyword === "enum" && value !== undefined) {
        // ElectroDB's enums list strings only, where jsonschema's deep comparison is `===`.
        const options = schema.enum ?? [];
        if (!options.some((option) => option === value))
          fail("enum", `is not one of enum values: ${options.map(String).join(",")}`, options);
      } else if (keyword === "format" && value !== undefined) {
        const format = this.customFormats[schema.format ?? ""];
        if (format && !format(value))
          fail("format", `does not conform to the ${JSON.stringify(schema.format)} format`, schema.format);
      } else this.checkContainer(keyword, value, schema, path, errors, fail);
    }
  }

  private checkContainer(
    keyword: string,
    value: unknown,
    schema: Schema,
    path: string,
    errors: ValidationError[],
    fail: (name: string, message: string, argument?: unknown) => void,
  ) {
    if (keyword === "items" && Array.isArray(value) && schema.items) {
      const items = schema.items;
      value.forEach((item, i) => {
        this.check(item, items, child(path, i), errors);
      });
    }
    if (!isObject(value)) return;
    if (keyword === "properties")
      for (const [name, sub] of Object.entries(schema.properties ?? {}))
        this.check(property(value, name), sub, child(path, name), errors);
    if (keyword === "patternProperties")
      for (const name in value)
        for (const [pattern, sub] of Object.entries(schema.patternProperties ?? {}))
          if (compiled(pattern).test(name)) this.check(value[name], sub, child(path, name), errors);
    if (keyword === "minProperties" && !(Object.keys(value).length >= (schema.minProperties ?? 0)))
      fail("minProperties", `does not meet minimum property length of ${schema.minProperties}`, schema.minProperties);
  }

  private resolve(ref: string): Schema {
    const schema = this.schemas.get(ref);
    if (!schema) throw new Error(`jsonschema subset: no schema ${ref}`);
    return schema;
  }
}
Validator.prototype.customFormats = {};
