#!/usr/bin/env node
// The CLI is TypeScript run through tsx, like the rest of the workspace (no build step).
import { register } from "tsx/esm/api";

// Versions are pinned in the lockfile; the SDK's Node 20 support notice is noise in a CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
