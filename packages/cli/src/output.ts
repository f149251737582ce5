import type { CommandIo } from "./command";

/** Prints a read's result: the API's JSON as is with `--json`, else the command's human rendering. */
export function show<T>(io: CommandIo, json: boolean | undefined, data: T, human: (data: T) => string): void {
  io.out(json ? JSON.stringify(data, null, 2) : human(data));
}

/** A left-aligned text table; missing cells print as `-`. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | undefined | null>>): string {
  const cells = rows.map((r) => r.map((c) => (c === undefined || c === null || c === "" ? "-" : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(headers), ...cells.map(line)].join("\n");
}

/** `key: value` lines for one record; undefined values are left out. */
export function fields(entries: Array<[string, unknown]>): string {
  const shown = entries.filter(([, v]) => v !== undefined && v !== null && v !== "");
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown
    .map(([k, v]) => `${`${k}:`.padEnd(width + 2)}${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join("\n");
}
