import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Log } from "@stackfleet/core/log";
import { type LocalState, readState } from "@stackfleet/local/state";

/** The Stackfleet the demo talks to: a running `npm start`, or one it started for itself. */
export interface DemoTarget {
  state: LocalState;
  stateFile: string;
  /** Where the instance keeps its keys and templates (the demo tampers with one template there). */
  dataDir: string;
  /** Global CLI options pointing every command at this instance (empty for the default `npm start`). */
  plumbing: string[];
  /** How the demo found it, in words. */
  origin: string;
  stop(): Promise<void>;
}

export const DEFAULT_STATE_FILE = ".stackfleet/local.json";
const DEFAULT_DATA_DIR = ".stackfleet/data";

/**
 * The `npm start` whose state file is at `stateFile` when its process is alive and its API answers;
 * undefined otherwise (a stale state file from a killed run counts as nothing running).
 */
export async function findRunning(stateFile: string): Promise<LocalState | undefined> {
  let state: LocalState;
  try {
    state = readState(stateFile);
  } catch {
    return undefined;
  }
  try {
    process.kill(state.pid, 0);
  } catch {
    return undefined;
  }
  try {
    return (await fetch(`${state.apiUrl}/health`, { signal: AbortSignal.timeout(3000) })).ok ? state : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Uses the running `npm start` if there is one; otherwise starts a private instance in this
 * process (free ports, a temp data dir, a manual clock), removed again by `stop()`.
 */
export async function connect(options: { stateFile?: string; log: Log }): Promise<DemoTarget> {
  const stateFile = resolve(options.stateFile ?? process.env.STACKFLEET_STATE_FILE ?? DEFAULT_STATE_FILE);
  const running = await findRunning(stateFile);
  if (running) {
    // The CLI finds the instance, and its token key, by these two; say them only when not the defaults.
    const isDefault =
      stateFile === resolve(DEFAULT_STATE_FILE) && running.dynamodb.dataDir === resolve(DEFAULT_DATA_DIR);
    return {
      state: running,
      stateFile,
      dataDir: running.dynamodb.dataDir,
      plumbing: isDefault ? [] : ["--state-file", stateFile, "--data-dir", running.dynamodb.dataDir],
      origin: `the running \`npm start\` (pid ${running.pid}, API ${running.apiUrl})`,
      stop: async () => undefined,
    };
  }
  return startPrivate(options.log);
}

async function startPrivate(log: Log): Promise<DemoTarget> {
  // Loaded only here: talking to a running instance needs none of the runtime.
  const [{ LocalConfig }, { startLocal }] = await Promise.all([
    import("@stackfleet/local/config"),
    import("@stackfleet/local/runtime"),
  ]);
  const dir = mkdtempSync(join(tmpdir(), "stackfleet-demo-"));
  const config = LocalConfig.parse({
    apiPort: 0,
    dynamoPort: 0,
    sandboxPort: 0,
    dataDir: join(dir, "data"),
    stateFile: join(dir, "local.json"),
    clock: "manual",
  });
  const local = await startLocal(config, { log });
  return {
    state: local.state,
    stateFile: config.stateFile,
    dataDir: config.dataDir,
    plumbing: ["--state-file", config.stateFile, "--data-dir", config.dataDir],
    origin: `a private instance started for this demo (no \`npm start\` running here; manual clock, data in ${dir})`,
    async stop() {
      await local.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
