import { SandboxError } from "../contract";

/** When a schedule is due: once (`at`) or every `intervalMs` (`rate`). */
export type ParsedExpression = { kind: "at"; at: Date } | { kind: "rate"; intervalMs: number };

const RATE_UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/**
 * `at(yyyy-mm-ddThh:mm:ss)` in `ScheduleExpressionTimezone` (IANA, default UTC) and
 * `rate(n minute[s]|hour[s]|day[s])`. `cron(...)` is refused: the sandbox does not evaluate it.
 */
export function parseScheduleExpression(expression: string, timezone = "UTC"): ParsedExpression {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(expression);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number) as [number, number, number, number, number, number];
    const wall = Date.UTC(y, mo - 1, d, h, mi, s);
    const check = new Date(wall);
    if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
      throw invalid(expression);
    }
    return { kind: "at", at: new Date(wallTimeToUtc(wall, timezone)) };
  }
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2]!.replace(/s$/, "");
    if (value < 1 || (value === 1) !== (unit === rate[2])) throw invalid(expression);
    return { kind: "rate", intervalMs: value * RATE_UNITS[unit]! };
  }
  if (expression.startsWith("cron(")) {
    throw new SandboxError(
      "ValidationException",
      `The sandbox does not evaluate cron expressions (${expression}); use at() or rate().`,
    );
  }
  throw invalid(expression);
}

export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    throw new SandboxError("ValidationException", `Invalid ScheduleExpressionTimezone ${timezone}.`);
  }
}

function invalid(expression: string): SandboxError {
  return new SandboxError("ValidationException", `Invalid Schedule Expression ${expression}.`);
}

/** A wall-clock time in `timezone` → epoch ms, DST included (one correction pass suffices). */
function wallTimeToUtc(wallAsUtc: number, timezone: string): number {
  const first = wallAsUtc - offsetMs(wallAsUtc, timezone);
  return wallAsUtc - offsetMs(first, timezone);
}

function offsetMs(instant: number, timezone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: timezone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
  return asUtc - Math.floor(instant / 1000) * 1000;
}
