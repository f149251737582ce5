import { appendFileSync } from "node:fs";
import type { Notification, Notifier } from "@stackfleet/core/notify/notifier";

/**
 * The local stand-in for the SNS topic: one structured log line per notification, kept in
 * memory (and appended to `file` as JSON lines when given) so the demo and tests can read them.
 */
export function createLocalNotifier(
  options: { log?: (line: string) => void; file?: string } = {},
): Notifier & { delivered: Notification[] } {
  const delivered: Notification[] = [];
  return {
    delivered,
    async publish(batch) {
      for (const n of batch) {
        const line = JSON.stringify({ level: "info", message: "notification", ...n });
        options.log?.(line);
        if (options.file) appendFileSync(options.file, `${line}\n`);
        delivered.push(n);
      }
    },
  };
}
