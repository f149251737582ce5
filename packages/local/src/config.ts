import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parseDuration } from "@stackfleet/sandbox/duration";
import { z } from "zod";

const Port = z.coerce.number().int().min(0).max(65_535);

/** Local runtime settings: flags win over environment variables, which win over defaults. */
export const LocalConfig = z.object({
  apiPort: Port.default(4100),
  dynamoPort: Port.default(4101),
  sandboxPort: Port.default(4102),
  host: z.string().default("127.0.0.1"),
  /** Where DynamoDB Local keeps its data and the local signing key lives; git-ignored. */
  dataDir: z.string().default(".stackfleet/data"),
  stateFile: z.string().default(".stackfleet/local.json"),
  tableName: z.string().default("stackfleet-local"),
  /**
   * `real`: time runs, and `stackfleet clock advance 25h` jumps it ahead. `manual`: time stands
   * still between advances. Either way one clock moves the API, the executor, the sandbox and its
   * Scheduler together.
   */
  clock: z.enum(["real", "manual"]).default("real"),
  /**
   * One grace period for every version published locally, broadening or not (e.g. `2m`); unset:
   * production's 24 h, 72 h when permissions broaden. Signed into each manifest as its not-before.
   */
  graceMs: z.number().int().nonnegative().optional(),
});
export type LocalConfig = z.infer<typeof LocalConfig>;

export const USAGE = `Usage: npm start -- [--api-port N] [--dynamo-port N] [--sandbox-port N] [--host H] [--data-dir DIR]
                    [--state-file FILE] [--table NAME] [--clock real|manual] [--grace DURATION]
  --clock   real (default): time runs, \`npx stackfleet clock advance 25h\` jumps it ahead;
            manual: time moves only with \`clock advance\`
  --grace   grace period of versions published locally, e.g. 2m, 1h (default 24h; 72h when permissions broaden)
Environment: STACKFLEET_API_PORT, STACKFLEET_DYNAMO_PORT, STACKFLEET_SANDBOX_PORT, STACKFLEET_HOST,
             STACKFLEET_DATA_DIR, STACKFLEET_STATE_FILE, STACKFLEET_TABLE, STACKFLEET_CLOCK, STACKFLEET_GRACE`;

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): LocalConfig {
  const { values } = parseArgs({
    args: argv,
    options: {
      "api-port": { type: "string" },
      "dynamo-port": { type: "string" },
      "sandbox-port": { type: "string" },
      host: { type: "string" },
      "data-dir": { type: "string" },
      "state-file": { type: "string" },
      table: { type: "string" },
      clock: { type: "string" },
      grace: { type: "string" },
    },
    strict: true,
  });
  const parsed = LocalConfig.safeParse({
    apiPort: values["api-port"] ?? env.STACKFLEET_API_PORT,
    dynamoPort: values["dynamo-port"] ?? env.STACKFLEET_DYNAMO_PORT,
    sandboxPort: values["sandbox-port"] ?? env.STACKFLEET_SANDBOX_PORT,
    host: values.host ?? env.STACKFLEET_HOST,
    dataDir: values["data-dir"] ?? env.STACKFLEET_DATA_DIR,
    stateFile: values["state-file"] ?? env.STACKFLEET_STATE_FILE,
    tableName: values.table ?? env.STACKFLEET_TABLE,
    clock: values.clock ?? env.STACKFLEET_CLOCK,
    graceMs: graceOf(values.grace ?? env.STACKFLEET_GRACE),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${FLAG[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`);
  }
  const config = parsed.data;
  return { ...config, dataDir: resolve(config.dataDir), stateFile: resolve(config.stateFile) };
}

/** The flag a setting comes from, for error messages. */
const FLAG: Record<string, string> = {
  apiPort: "--api-port",
  dynamoPort: "--dynamo-port",
  sandboxPort: "--sandbox-port",
  host: "--host",
  dataDir: "--data-dir",
  stateFile: "--state-file",
  tableName: "--table",
  clock: "--clock",
};

function graceOf(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  try {
    return parseDuration(text);
  } catch (e) {
    throw new Error(`--grace: ${(e as Error).message}`);
  }
}
