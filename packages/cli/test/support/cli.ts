import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { createDevVerifier, loadOrCreateDevAuthKey } from "@stackfleet/local/dev/auth-key";
import { afterEach } from "vitest";
import { createTestApi } from "../../../functions/test/support/api";
import { main } from "../../src/main";

/** Runs the CLI in-process and keeps what it printed. */
export async function cli(argv: string[], options: { pollMs?: number } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    argv,
    { out: (t) => void out.push(t), err: (t) => void err.push(t) },
    { pollMs: options.pollMs ?? 10, interactive: false },
  );
  return { code, stdout: out.join("\n"), stderr: err.join("\n") };
}

const servers: ServerType[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

/** Serves a fetch handler on an ephemeral port until the test ends. */
export const listen = (fetch: (request: Request) => Response | Promise<Response>) =>
  new Promise<string>((done) =>
    servers.push(serve({ fetch, port: 0, hostname: "127.0.0.1" }, (info) => done(`http://127.0.0.1:${info.port}`))),
  );

export const tempDir = (prefix = "stackfleet-cli-") => mkdtempSync(join(tmpdir(), prefix));

/**
 * The real API app (DynamoDB Local, sandbox Scheduler) on an ephemeral port, trusting the dev key
 * of a fresh data dir, with a `local.json` naming it: what `npm start` leaves for the CLI.
 */
export async function localApi() {
  const dataDir = tempDir();
  const api = await createTestApi({ auth: createDevVerifier(await loadOrCreateDevAuthKey(dataDir)) });
  const url = await listen(api.app.fetch);
  const stateFile = join(dataDir, "local.json");
  writeFileSync(stateFile, JSON.stringify({ apiUrl: url }));
  return { api, url, stateFile, dataDir, local: ["--state-file", stateFile, "--data-dir", dataDir] };
}

export const templateFile = (text: string) => {
  const file = join(tempDir("publish-"), "template.yaml");
  writeFileSync(file, text);
  return file;
};
