import { Command, InvalidArgumentError } from "commander";
import { type CliContext, invocation } from "../context";
import { usageError } from "../errors";
import { show } from "../output";
import { parseDuration } from "../parsers";
import { type Integration, integrationPath, type MaintenanceWindow, type Run } from "../views";

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

/** `mon,thu` or `1,4` (0 = Sunday). */
const parseDays = (text: string) =>
  text.split(",").map((d) => {
    const day = /^\d$/.test(d) ? Number(d) : DAYS.indexOf(d.trim().toLowerCase().slice(0, 3));
    if (day < 0 || day > 6) throw new InvalidArgumentError(`"${d}" is not a day (mon…sun or 0…6, 0 = Sunday)`);
    return day;
  });

/** `02:00` → minutes after local midnight. */
const parseStart = (text: string) => {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!match || Number(match[1]) > 23 || Number(match[2]) > 59)
    throw new InvalidArgumentError(`expected a local time like 02:00 (got "${text}")`);
  return Number(match[1]) * 60 + Number(match[2]);
};

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
export const windowText = (w?: MaintenanceWindow) =>
  w
    ? `${w.days.map((d) => DAYS[d]).join(",")} ${hhmm(w.startMinute)} for ${w.durationMinutes}m (${w.timezone})`
    : "no maintenance window: updates run as soon as they are due";

interface WindowOptions {
  days?: number[];
  start?: number;
  duration?: number;
  timezone?: string;
  clear?: boolean;
}

/** `stackfleet integrations window ID [--days … --start … --duration … --timezone … | --clear]`. */
export function windowCommand(ctx: CliContext): Command {
  return new Command("window")
    .description("show, set or clear the maintenance window; waiting updates move into it")
    .argument("<id>", "integration id")
    .option("--days <days>", "days the window opens, e.g. tue,thu (or 2,4; 0 = Sunday)", parseDays)
    .option("--start <hh:mm>", "local opening time, e.g. 02:00", parseStart)
    .option("--duration <duration>", "how long it stays open, e.g. 2h (at least 30m)", parseDuration)
    .option("--timezone <tz>", "IANA time zone, e.g. Europe/Berlin", "UTC")
    .option("--clear", "remove the window")
    .action(async (id: string, o: WindowOptions, command: Command) => {
      const run = invocation(ctx, command);
      const setting = o.days !== undefined || o.start !== undefined || o.duration !== undefined;
      if (o.clear && setting) throw usageError("--clear cannot be combined with --days/--start/--duration");
      if (!o.clear && !setting) {
        const i = await run.api().request<Integration>("GET", integrationPath(id), { query: run.tenantQuery() });
        show(run.io, run.json, i.maintenanceWindow ?? null, () => windowText(i.maintenanceWindow));
        return;
      }
      if (!o.clear && (o.days === undefined || o.start === undefined || o.duration === undefined))
        throw usageError("setting a window needs --days, --start and --duration");
      const body = await run
        .api()
        .request<{ integration: Integration; moved: Run[] }>(
          o.clear ? "DELETE" : "PUT",
          `${integrationPath(id)}/maintenance-window`,
          {
            query: run.tenantQuery(),
            body: o.clear
              ? undefined
              : { days: o.days, startMinute: o.start, durationMinutes: o.duration! / 60_000, timezone: o.timezone },
          },
        );
      show(
        run.io,
        run.json,
        body,
        (b) => `${id}: ${windowText(b.integration.maintenanceWindow)}; ${b.moved.length} waiting update(s) moved`,
      );
    });
}
