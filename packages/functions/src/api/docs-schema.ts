/**
 * JSON Schema (as @hono/zod-openapi emits it for OpenAPI 3.1) → a compact TypeScript-like
 * notation, e.g. `{ accountId: string /^\d{12}$/; autoUpdate?: boolean }`. Output is HTML: text is
 * escaped and `$ref`s become links to the schema's section on the docs page.
 */
export type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  nullable?: boolean;
  default?: unknown;
  description?: string;
};

export const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch);

export const schemaAnchor = (name: string): string => `schema-${name.replace(/[^A-Za-z0-9_-]/g, "-")}`;

const MAX_DEPTH = 8;

export function renderSchema(schema: JsonSchema | undefined, indent = 0): string {
  if (!schema) return "unknown";
  if (indent > MAX_DEPTH) return "…";
  if (schema.$ref) {
    const name = schema.$ref.split("/").pop() ?? schema.$ref;
    return `<a href="#${schemaAnchor(name)}">${escapeHtml(name)}</a>`;
  }
  if (schema.const !== undefined) return escapeHtml(JSON.stringify(schema.const));
  if (schema.enum) return schema.enum.map((v) => escapeHtml(JSON.stringify(v))).join(" | ");
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return union.map((s) => renderSchema(s, indent)).join(" | ");
  if (schema.allOf) return schema.allOf.map((s) => renderSchema(s, indent)).join(" &amp; ");
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  const rendered = (types.length ? types : [schema.properties ? "object" : "unknown"])
    .map((t) => renderType(t, schema, indent))
    .join(" | ");
  return schema.nullable ? `${rendered} | null` : rendered;
}

function renderType(type: string, schema: JsonSchema, indent: number): string {
  if (type === "array") {
    const item = renderSchema(schema.items, indent);
    return /[ |&]/.test(item) && !item.startsWith("{") ? `(${item})[]` : `${item}[]`;
  }
  if (type === "object") return renderObject(schema, indent);
  return `${escapeHtml(type)}${constraints(schema)}`;
}

function renderObject(schema: JsonSchema, indent: number): string {
  const entries = Object.entries(schema.properties ?? {});
  const extra = schema.additionalProperties;
  if (entries.length === 0) {
    if (extra && typeof extra === "object") return `{ [key: string]: ${renderSchema(extra, indent)} }`;
    return "{}";
  }
  const pad = "  ".repeat(indent + 1);
  const required = new Set(schema.required ?? []);
  const lines = entries.map(([name, property]) => {
    const note = property.description ? `  <span class="note">// ${escapeHtml(property.description)}</span>` : "";
    return `${pad}${escapeHtml(name)}${required.has(name) ? "" : "?"}: ${renderSchema(property, indent + 1)};${note}`;
  });
  return `{\n${lines.join("\n")}\n${"  ".repeat(indent)}}`;
}

function constraints(schema: JsonSchema): string {
  const parts: string[] = [];
  if (schema.format) parts.push(schema.format);
  if (schema.pattern) parts.push(`/${schema.pattern}/`);
  if (schema.minimum !== undefined || schema.maximum !== undefined)
    parts.push(`${schema.minimum ?? ""}..${schema.maximum ?? ""}`);
  if (schema.minLength !== undefined || schema.maxLength !== undefined)
    parts.push(`length ${schema.minLength ?? 0}..${schema.maxLength ?? ""}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.length ? ` <span class="note">(${escapeHtml(parts.join(", "))})</span>` : "";
}
