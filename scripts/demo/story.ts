import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CommandIo } from "@stackfleet/cli/command";
import type { Log } from "@stackfleet/core/log";
import { versionsNow } from "./cast";
import {
  connectCustomers,
  customersChoose,
  gracePasses,
  haltStopsRollout,
  publishWithNewPermission,
  tamperedIsRefused,
} from "./chapters";
import { Narrator } from "./narrator";
import { type DemoOutcome, outcome, summaryText } from "./summary";
import { connect, type DemoTarget } from "./target";
import { nextVersions } from "./templates";

export interface DemoOptions {
  io: CommandIo;
  /** The `npm start` to use (default `.stackfleet/local.json`); none running: the demo starts its own. */
  stateFile?: string;
  /** Where a private instance logs (default: nowhere; its errors are reported by the steps that hit them). */
  log: Log;
  /** An instance found or started by the caller, left running (a test reads the final state itself). */
  target?: DemoTarget;
}

const CHAPTERS = 7;

/**
 * `npm run demo`: the whole story through the CLI, against a running `npm start` or a private
 * instance — connect, publish, skip, opt out, grace ends, update, tampering refused, halt.
 */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const started = Date.now();
  const target = options.target ?? (await connect({ stateFile: options.stateFile, log: options.log }));
  const workDir = await mkdtemp(join(tmpdir(), "stackfleet-demo-work-"));
  try {
    const n = new Narrator(options.io, target.plumbing, CHAPTERS);
    n.say(`Stackfleet demo against ${target.origin}.`);
    n.say(timeNote(target.state.time));
    const { latest, base } = await versionsNow(n);
    const [added, tampered, halted] = nextVersions(latest.version, 3) as [string, string, string];
    const { view, customers } = await connectCustomers(n, target);
    const d = { n, target, view, workDir, customers, base, versions: { added, tampered, halted }, startedAt: started };

    const addedVersion = await publishWithNewPermission(d);
    await customersChoose(d);
    await gracePasses(d, addedVersion);
    await tamperedIsRefused(d);
    await haltStopsRollout(d);

    n.chapter("Where everyone ended up", "Read back through the API:");
    const result = await outcome(d);
    options.io.out(`\n${summaryText(result)}`);
    options.io.out(`\nDone in ${Math.round((Date.now() - started) / 1000)} s of real time.`);
    return result;
  } finally {
    await rm(workDir, { recursive: true, force: true });
    if (!options.target) await target.stop();
  }
}

function timeNote(time: { clock: "real" | "manual"; graceMs?: number } | undefined): string {
  const clock =
    time?.clock === "manual"
      ? "Its clock is manual: the demo moves it with `stackfleet clock advance`."
      : "Its clock runs in real time; the demo jumps it ahead with `stackfleet clock advance` instead of waiting.";
  return `${clock} Everyone (API, executor, sandbox, Scheduler) shares that one clock.`;
}
