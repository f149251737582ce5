import cliProgress from "cli-progress";
import type { CommandIo } from "./command";
import type { RolloutProgress, WaveProgress } from "./views";

const WIDTH = 24;
const BAR = {
  barsize: WIDTH,
  barCompleteString: "█".repeat(WIDTH),
  barIncompleteString: "░".repeat(WIDTH),
  barGlue: "",
};
/** Runs that have not reached an end state yet. */
const ACTIVE = ["scheduled", "claimed", "executing", "watching"];

const states = (byState: Record<string, number>) =>
  Object.entries(byState)
    .map(([state, n]) => `${state} ${n}`)
    .join(", ") || "no runs";

const totalOf = (w: WaveProgress) =>
  Math.max(
    w.size,
    Object.values(w.byState).reduce((a, b) => a + b, 0),
  );

/** One wave: a bar of finished integrations, the tally against its failure tolerance, runs by state. */
export function waveLine(name: string, w: WaveProgress): string {
  const total = totalOf(w);
  const bar = cliProgress.Format.BarFormat(total ? w.finished / total : 0, BAR);
  return `${name.padEnd(8)} ${bar} ${w.finished}/${total}  ok ${w.succeeded}  failed ${w.failed} (tolerance ${w.tolerance})  | ${states(w.byState)}`;
}

export function headerLine(p: RolloutProgress): string {
  const fleet = p.fleetSize === undefined ? "not planned yet" : `${p.fleetSize} eligible`;
  return `${p.version}: ${p.state}${p.stateReason ? ` (${p.stateReason})` : ""}; grace ends ${p.graceEndsAt}; ${fleet} | ${states(p.byState)}`;
}

/** The whole rollout as text: the header, a bar per wave, then the failures with their reasons. */
export function snapshot(p: RolloutProgress): string {
  const waves = Object.entries(p.waves).map(([name, w]) => waveLine(name, w));
  const failures = p.failures.map(
    (f) => `  ✗ ${f.integrationId} (${f.wave ?? "main"}, attempt ${f.attempt}): ${f.reason ?? "no reason recorded"}`,
  );
  return [headerLine(p), ...waves, ...(failures.length ? ["failures:", ...failures] : [])].join("\n");
}

/**
 * Nothing more will happen without someone acting: the version is halted or withdrawn, no
 * integration was eligible, or every run has reached an end state.
 */
export function isSettled(p: RolloutProgress): boolean {
  if (p.state !== "published" || p.fleetSize === 0) return true;
  const runs = Object.values(p.byState).reduce((a, b) => a + b, 0);
  return runs > 0 && ACTIVE.every((s) => !p.byState[s]);
}

export interface ProgressView {
  show(p: RolloutProgress): void;
  stop(): void;
}

/** For a terminal: cli-progress bars redrawn in place, one per wave under a header line. */
export function liveView(stream: NodeJS.WritableStream = process.stderr): ProgressView {
  const multibar = new cliProgress.MultiBar({
    stream,
    hideCursor: true,
    clearOnComplete: false,
    format: (_options, _params, payload: { line: string }) => payload.line,
  });
  const bars = new Map<string, cliProgress.SingleBar>();
  const put = (key: string, total: number, value: number, line: string) => {
    const bar = bars.get(key) ?? multibar.create(total, value, { line });
    bars.set(key, bar);
    bar.setTotal(total);
    bar.update(value, { line });
  };
  return {
    show(p) {
      put("", 1, 0, headerLine(p));
      for (const [name, w] of Object.entries(p.waves)) put(name, totalOf(w), w.finished, waveLine(name, w));
    },
    stop: () => multibar.stop(),
  };
}

/** For pipes and logs: the snapshot again whenever it changed. */
export function textView(io: CommandIo): ProgressView {
  let last = "";
  return {
    show(p) {
      const text = snapshot(p);
      if (text !== last) io.out(text);
      last = text;
    },
    stop() {},
  };
}
