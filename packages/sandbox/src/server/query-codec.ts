import { NormalizedSchema } from "@smithy/core/schema";
import type { StaticOperationSchema } from "@smithy/types";

/**
 * The AWS query protocol (STS, CloudFormation) driven by the SDK's own service schemas, so the
 * sandbox reads exactly what the SDK serialises and writes exactly what its deserialiser expects.
 */

type Params = Map<string, string>;

/** Form body → SDK-shaped input (`Parameters.member.1.ParameterKey` → `Parameters[0].ParameterKey`). */
export function decodeQueryInput(operation: StaticOperationSchema, params: Params): Record<string, unknown> {
  const schema = NormalizedSchema.of(operation[4]);
  if (!schema.isStructSchema()) return {};
  const prefixes = new Set<string>();
  for (const key of params.keys()) {
    const parts = key.split(".");
    for (let i = 1; i <= parts.length; i++) prefixes.add(parts.slice(0, i).join("."));
  }
  return (readStruct(schema, "", params, prefixes) ?? {}) as Record<string, unknown>;
}

function readValue(schema: NormalizedSchema, key: string, params: Params, prefixes: Set<string>): unknown {
  if (!prefixes.has(key)) return undefined;
  if (schema.isStructSchema()) return readStruct(schema, `${key}.`, params, prefixes);
  if (schema.isListSchema()) {
    const items: unknown[] = [];
    const flat = Boolean(schema.getMergedTraits().xmlFlattened);
    for (let i = 1; ; i++) {
      const itemKey = flat ? `${key}.${i}` : `${key}.member.${i}`;
      if (!prefixes.has(itemKey)) break;
      items.push(readValue(schema.getValueSchema(), itemKey, params, prefixes));
    }
    return items;
  }
  if (schema.isMapSchema()) {
    const map: Record<string, unknown> = {};
    for (let i = 1; prefixes.has(`${key}.entry.${i}`); i++) {
      const name = params.get(`${key}.entry.${i}.key`);
      if (name !== undefined)
        map[name] = readValue(schema.getValueSchema(), `${key}.entry.${i}.value`, params, prefixes);
    }
    return map;
  }
  const raw = params.get(key);
  if (raw === undefined) return undefined;
  if (schema.isBooleanSchema()) return raw === "true";
  if (schema.isNumericSchema()) return Number(raw);
  if (schema.isTimestampSchema()) return new Date(/^\d+(\.\d+)?$/.test(raw) ? Number(raw) * 1000 : raw);
  if (schema.isBlobSchema()) return Buffer.from(raw, "base64");
  return raw;
}

function readStruct(schema: NormalizedSchema, prefix: string, params: Params, prefixes: Set<string>): unknown {
  const out: Record<string, unknown> = {};
  for (const [name, member] of schema.structIterator()) {
    const wireName = (member.getMergedTraits().xmlName as string | undefined) ?? name;
    const value = readValue(member, `${prefix}${wireName}`, params, prefixes);
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** SDK-shaped output → `<XResponse><XResult>…</XResult><ResponseMetadata>…</XResponse>`. */
export function encodeQueryOutput(
  operation: StaticOperationSchema,
  output: Record<string, unknown>,
  xmlns: string,
  requestId: string,
): string {
  const name = operation[2];
  const schema = NormalizedSchema.of(operation[5]);
  const result = schema.isStructSchema() ? writeMembers(schema, output) : "";
  return (
    `<${name}Response xmlns="${xmlns}"><${name}Result>${result}</${name}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${name}Response>`
  );
}

export function encodeQueryError(
  error: { code: string; message: string; sender: boolean },
  xmlns: string,
  requestId: string,
): string {
  return (
    `<ErrorResponse xmlns="${xmlns}"><Error><Type>${error.sender ? "Sender" : "Receiver"}</Type>` +
    `<Code>${escapeXml(error.code)}</Code><Message>${escapeXml(error.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

function writeMembers(schema: NormalizedSchema, value: Record<string, unknown>): string {
  let xml = "";
  for (const [name, member] of schema.structIterator()) {
    const memberValue = value[name];
    if (memberValue === undefined || memberValue === null) continue;
    const wireName = (member.getMergedTraits().xmlName as string | undefined) ?? name;
    xml += writeValue(member, memberValue, wireName);
  }
  return xml;
}

function writeValue(schema: NormalizedSchema, value: unknown, tag: string): string {
  if (schema.isStructSchema()) return `<${tag}>${writeMembers(schema, value as Record<string, unknown>)}</${tag}>`;
  if (schema.isListSchema()) {
    const itemSchema = schema.getValueSchema();
    const itemTag = (itemSchema.getMergedTraits().xmlName as string | undefined) ?? "member";
    const items = (value as unknown[]).map((item) =>
      writeValue(itemSchema, item, schema.getMergedTraits().xmlFlattened ? tag : itemTag),
    );
    return schema.getMergedTraits().xmlFlattened ? items.join("") : `<${tag}>${items.join("")}</${tag}>`;
  }
  if (schema.isMapSchema()) {
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([key, entry]) =>
        `<entry><key>${escapeXml(key)}</key>${writeValue(schema.getValueSchema(), entry, "value")}</entry>`,
    );
    return `<${tag}>${entries.join("")}</${tag}>`;
  }
  if (schema.isTimestampSchema()) {
    const date = value instanceof Date ? value : new Date(value as string);
    return `<${tag}>${date.toISOString()}</${tag}>`;
  }
  if (schema.isBlobSchema()) return `<${tag}>${Buffer.from(value as Uint8Array).toString("base64")}</${tag}>`;
  return `<${tag}>${escapeXml(String(value))}</${tag}>`;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\r/g, "&#xD;");
}
