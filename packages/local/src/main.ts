// Versions are pinned in the lockfile; the SDK's Node 20 support notice is noise locally.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { type LocalConfig, loadConfig, USAGE } from "./config";
import { startLocal } from "./runtime";

let config: LocalConfig;
try {
  config = loadConfig(process.argv.slice(2), process.env);
} catch (e) {
  console.error(`stackfleet: ${(e as Error).message}\n${USAGE}`);
  process.exit(2);
}

const local = await startLocal(config);
console.log(local.describe());

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, async () => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await local.stop();
    console.log("stopped; data kept in", config.dataDir);
    process.exit(0);
  });
}
