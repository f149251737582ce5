import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { z } from "zod";

/**
 * `.stackfleet/local.json`: what `npm start` started, so the CLI, tools and tests find the running
 * instance without parsing logs. Removed again on a clean stop.
 */
export const LocalState = z.object({
  pid: z.number(),
  startedAt: z.string(),
  apiUrl: z.string().url(),
  dynamodb: z.object({ endpoint: z.string().url(), tableName: z.string(), dataDir: z.string() }),
  sandbox: z
    .object({
      endpoint: z.string().url(),
      accounts: z.array(
        z.object({
          accountId: z.string(),
          accessKeyId: z.string(),
          secretAccessKey: z.string(),
          role: z.enum(["vendor", "updater", "customer"]),
        }),
      ),
    })
    .optional(),
  /** How local time runs (`--clock`, `--grace`): tools such as `npm run demo` adapt to it. */
  time: z.object({ clock: z.enum(["real", "manual"]), graceMs: z.number().optional() }).optional(),
});
export type LocalState = z.infer<typeof LocalState>;

export function writeState(file: string, state: LocalState): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(LocalState.parse(state), null, 2)}\n`, { mode: 0o600 });
}

export function readState(file: string): LocalState {
  return LocalState.parse(JSON.parse(readFileSync(file, "utf8")));
}

export function removeState(file: string): void {
  rmSync(file, { force: true });
}
