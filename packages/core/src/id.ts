import { monotonicFactory } from "ulid";

export const ID_PREFIXES = {
  tenant: "ten",
  integration: "int",
  run: "run",
  event: "evt",
} as const;
export type IdKind = keyof typeof ID_PREFIXES;

export type NewId = (kind: IdKind) => string;

/** Prefixed ULIDs (`int_01J…`): sortable by creation time, typed at a glance. */
export function ulidIds(now: () => Date = () => new Date()): NewId {
  const next = monotonicFactory();
  return (kind) => `${ID_PREFIXES[kind]}_${next(now().getTime())}`;
}
