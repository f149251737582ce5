import { InvalidArgumentError } from "commander";

// Commander turns an InvalidArgumentError into a usage error (exit 2) naming the option.

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `25h`, `90s`, `1h30m`, `2d` → milliseconds. */
export function parseDuration(text: string): number {
  const parts = [...text.trim().matchAll(/(\d+)(ms|s|m|h|d)/g)];
  const total = parts.reduce((ms, [, n, unit]) => ms + Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS], 0);
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text.trim() || total <= 0) {
    throw new InvalidArgumentError(`expected a duration like 25h, 90s or 1h30m (got "${text}")`);
  }
  return total;
}

export function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive whole number (got "${text}")`);
  return n;
}
