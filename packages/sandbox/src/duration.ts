import { SandboxError } from "./contract";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `"25h"`, `"1h30m"`, `"90s"`, `"2d"`, `"250ms"` → milliseconds (what `clock advance` accepts). */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== trimmed.replace(/\s+/g, "")) {
    throw new SandboxError(
      "invalid_request",
      `duration must look like "25h", "1h30m", "90s", "2d" or "250ms", not ${JSON.stringify(text)}`,
      400,
    );
  }
  return Math.round(parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_MS[unit!]!, 0));
}
