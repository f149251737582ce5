// The sandbox in its own process, so a benchmark can tell its CPU from the planner's:
// prints one JSON line { endpoint, credentials, pid } and stops when its stdin closes.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

import { startSandbox } from "@stackfleet/sandbox/index";

const [account = "222222222222", region = "eu-west-1", startTime = "2026-11-21T12:00:00.000Z"] = process.argv.slice(2);
const sandbox = await startSandbox({ port: 0, clock: "manual", startTime: new Date(startTime) });
const config = sandbox.clientConfig(account, region);
process.stdout.write(`${JSON.stringify({ ...config, pid: process.pid })}\n`);
process.stdin.resume();
process.stdin.on("end", () => {
  void sandbox.stop().then(() => process.exit(0));
});
