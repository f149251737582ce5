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

// jsonschema's property paths (`instance.name`, `instance[0]`, `instance["a.b"]`), written out
// only for an error: most of a cold start's checks pass.
type Path = { up: Path | null; key: string | number };
const render = (path: Path): string => {
  if (!path.up) return String(path.key);
  const name = String(path.key);
  if (!/[.\s[\]]/.test(name) && !/^\d/.test(name)) return `${render(path.up)}.${name}`;
  return /^\d+$/.test(name) ? `${render(path.up)}[${name}]` : `${render(path.up)}[${JSON.stringify(name)}]`;
};

// jsonschema's getEnumerableProperty: an own property, or the nearest prototype's enumerable one.
function property(object: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(object, key)) return object[key];
  if (!(key in object)) return undefined;
  for (let proto = Object.getPrototypeOf(object); proto; proto = Object.getPrototypeOf(proto))
    if (Object.prototype.propertyIsEnumerable.call(proto, key)) return proto[key];
  return undefined;
}

// Each schema's keywords are vetted once.
const vetted = new WeakSet<Schema>();
function vet(schema: Schema) {
  if (vetted.has(schema)) return;
  for (const keyword of Object.keys(schema))
    if (!KEYWORDS.has(keyword)) throw new Error(`jsonschema subset: unsupported keyword "${keyword}"`);
  vetted.add(schema);
}

export class Validator {
  declare customFormats: Record<string, Format>;
  private readonly schemas = new Map<string, Schema>();
  private errors: ValidationError[] = [];

  addSchema(schema: Schema, uri?: string) {
    if (uri) this.schemas.set(uri, schema);
    if (schema.id) this.schemas.set(schema.id, schema);
    return schema;
  }

  validate(instance: unknown, schema: Schema): { errors: ValidationError[]; valid: boolean } {
    const errors: ValidationError[] = [];
    this.errors = errors;
    this.check(instance, schema, { up: null, key: "instance" });
    return { errors, valid: errors.length === 0 };
  }

  private fail(path: Path, name: string, message: string, argument?: unknown) {
    this.errors.push({ property: render(path), name, message, ...(argument === undefined ? {} : { argument }) });
  }

  private check(value: unknown, schema: Schema, path: Path): void {
    vet(schema);
    // jsonschema ignores a $ref's sibling keywords.
    if (schema.$ref !== undefined) {
      this.check(value, this.resolve(schema.$ref), path);
      return;
    }
    // Of the keywords here, only `required: true` applies to an absent value.
    if (value === undefined) {
      if (schema.required === true) this.fail(path, "required", "is required");
      return;
    }
    // In the schema's key order, as jsonschema reports them.
    for (const keyword of Object.keys(schema)) {
      if (keyword === "type") {
        const types = ([] as string[]).concat(schema.type ?? []);
        if (!types.some((type) => (TYPES[type] ?? (() => true))(value)))
          this.fail(path, "type", `is not of a type(s) ${types}`, types);
      } else if (keyword === "required") {
        if (isObject(value) && Array.isArray(schema.required))
          for (const name of schema.required)
            if (property(value, name) === undefined)
              this.fail(path, "required", `requires property ${JSON.stringify(name)}`, name);
      } else if (keyword === "enum") {
        // ElectroDB's enums list strings only, where jsonschema's deep comparison is `===`.
        const options = schema.enum ?? [];
        if (!options.some((option) => option === value))
          this.fail(path, "enum", `is not one of enum values: ${options.map(String).join(",")}`, options);
      } else if (keyword === "format") {
        const format = this.customFormats[schema.format ?? ""];
        if (format && !format(value))
          this.fail(path, "format", `does not conform to the ${JSON.stringify(schema.format)} format`, schema.format);
      } else this.checkContainer(keyword, value, schema, path);
    }
  }

  private checkContainer(keyword: string, value: unknown, schema: Schema, path: Path) {
    if (keyword === "items" && Array.isArray(value) && schema.items) {
      const items = schema.items;
      value.forEach((item, i) => {
        this.check(item, items, { up: path, key: i });
      });
    }
    if (!isObject(value)) return;
    if (keyword === "properties")
      for (const [name, sub] of Object.entries(schema.properties ?? {}))
        this.check(property(value, name), sub, { up: path, key: name });
    if (keyword === "patternProperties")
      for (const name in value)
        for (const [pattern, sub] of Object.entries(schema.patternProperties ?? {}))
          if (compiled(pattern).test(name)) this.check(value[name], sub, { up: path, key: name });
    if (keyword === "minProperties" && !(Object.keys(value).length >= (schema.minProperties ?? 0)))
      this.fail(
        path,
        "minProperties",
        `does not meet minimum property length of ${schema.minProperties}`,
        schema.minProperties,
      );
  }

  private resolve(ref: string): Schema {
    const schema = this.schemas.get(ref);
    if (!schema) throw new Error(`jsonschema subset: no schema ${ref}`);
    return schema;
  }
}
Validator.prototype.customFormats = {};
