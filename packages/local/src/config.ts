import { resolve } from "node:path";
import { parseArgs } from "node:util";
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
});
export type LocalConfig = z.infer<typeof LocalConfig>;

export const USAGE = `Usage: npm start -- [--api-port N] [--dynamo-port N] [--sandbox-port N] [--host H] [--data-dir DIR] [--state-file FILE] [--table NAME]
Environment: STACKFLEET_API_PORT, STACKFLEET_DYNAMO_PORT, STACKFLEET_SANDBOX_PORT, STACKFLEET_HOST,
             STACKFLEET_DATA_DIR, STACKFLEET_STATE_FILE, STACKFLEET_TABLE`;

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
    },
    strict: true,
  });
  const config = LocalConfig.parse({
    apiPort: values["api-port"] ?? env.STACKFLEET_API_PORT,
    dynamoPort: values["dynamo-port"] ?? env.STACKFLEET_DYNAMO_PORT,
    sandboxPort: values["sandbox-port"] ?? env.STACKFLEET_SANDBOX_PORT,
    host: values.host ?? env.STACKFLEET_HOST,
    dataDir: values["data-dir"] ?? env.STACKFLEET_DATA_DIR,
    stateFile: values["state-file"] ?? env.STACKFLEET_STATE_FILE,
    tableName: values.table ?? env.STACKFLEET_TABLE,
  });
  return { ...config, dataDir: resolve(config.dataDir), stateFile: resolve(config.stateFile) };
}
