/**
 * JSON that keeps what the sandbox's records hold besides plain data: `Map`s and `Date`s are
 * written as `{ "$map": [[k, v]…] }` / `{ "$date": iso }` and revived on load.
 */
export function encodeState(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, encoded: unknown) {
    const raw = this[key];
    if (raw instanceof Date) return { $date: raw.toISOString() };
    if (raw instanceof Map) return { $map: [...raw] };
    return encoded;
  });
}

export function decodeState(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const tagged = value as { $date?: unknown; $map?: unknown };
      const keys = Object.keys(value);
      if (keys.length === 1 && typeof tagged.$date === "string") return new Date(tagged.$date);
      if (keys.length === 1 && Array.isArray(tagged.$map)) return new Map(tagged.$map as Array<[unknown, unknown]>);
    }
    return value;
  });
}
