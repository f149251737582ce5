import { z } from "@hono/zod-openapi";
import type * as core from "zod/v4/core";

type Def = core.$ZodTypeDef & Record<string, unknown>;
type Classic = new (def: Def) => z.ZodType;

// zod's classic class for each kind of def core's shared schemas use; a kind missing here throws,
// so a schema the docs cannot show fails the docs test rather than being documented wrongly.
const CLASSES: Record<string, Classic> = {
  string: z.ZodString as unknown as Classic,
  number: z.ZodNumber as unknown as Classic,
  boolean: z.ZodBoolean as unknown as Classic,
  null: z.ZodNull as unknown as Classic,
  never: z.ZodNever as unknown as Classic,
  literal: z.ZodLiteral as unknown as Classic,
  enum: z.ZodEnum as unknown as Classic,
  object: z.ZodObject as unknown as Classic,
  array: z.ZodArray as unknown as Classic,
  union: z.ZodUnion as unknown as Classic,
  optional: z.ZodOptional as unknown as Classic,
  nullable: z.ZodNullable as unknown as Classic,
  default: z.ZodDefault as unknown as Classic,
  pipe: z.ZodPipe as unknown as Classic,
  transform: z.ZodTransform as unknown as Classic,
  custom: z.ZodCustom as unknown as Classic,
};

const mapValues = (o: Record<string, core.$ZodType>) =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, toClassic(v)]));

function toClassic(schema: core.$ZodType): z.ZodType {
  const def = schema._zod.def as Def;
  const Class = def.type === "number" && def.format ? (z.ZodNumberFormat as unknown as Classic) : CLASSES[def.type];
  if (!Class) throw new Error(`asClassic: no classic class for a "${def.type}" schema`);
  const at = (key: string) => def[key] as core.$ZodType;
  const copy: Def = { ...def };
  for (const key of ["innerType", "element", "catchall", "in", "out"]) if (def[key]) copy[key] = toClassic(at(key));
  if (def.type === "object") copy.shape = mapValues(def.shape as Record<string, core.$ZodType>);
  if (def.type === "union") copy.options = (def.options as core.$ZodType[]).map(toClassic);
  return new Class(copy);
}

/**
 * A classic zod copy of one of core's schemas, for `@hono/zod-openapi`: core builds the schemas the
 * executor loads with zod's mini API (core/src/zod-mini.ts: the executor's bundle budget), which
 * the OpenAPI generator cannot read (it calls `.meta()` on every schema). The copy shares the
 * definition — the same checks, refinements, defaults and transforms — so it validates exactly as
 * core's schema does (packages/functions/test/classic.test.ts).
 */
export const asClassic = <S extends core.$ZodType>(schema: S) =>
  toClassic(schema) as unknown as z.ZodType<core.output<S>, core.input<S>>;

/** `asClassic` for each field of an object's shape, to build a classic object (strict, say) over them. */
export const classicShape = <T extends Record<string, core.$ZodType>>(shape: T) =>
  mapValues(shape) as { [K in keyof T]: z.ZodType<core.output<T[K]>, core.input<T[K]>> };
