// Where an API request's latency goes, measured from the server side while a load runs: each
// DynamoDB round trip, the time a request spends inside the app, the event loop's delay, and
// the CPU of the other processes on the machine (DynamoDB Local's JVM, the load generator).
import { readFileSync } from "node:fs";
import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";

/** Latencies in ms; percentiles over what was recorded since the last reset. */
export function recorder() {
  let samples: number[] = [];
  return {
    add: (ms: number) => void samples.push(ms),
    reset: () => void (samples = []),
    count: () => samples.length,
    percentile(p: number): number {
      if (!samples.length) return 0;
      const sorted = [...samples].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
    },
  };
}
export type Recorder = ReturnType<typeof recorder>;

/** Per-name recorders (one per DynamoDB operation). */
export function recorders() {
  const byName = new Map<string, Recorder>();
  return {
    add(name: string, ms: number) {
      const found = byName.get(name) ?? recorder();
      byName.set(name, found);
      found.add(ms);
    },
    reset: () => byName.clear(),
    entries: () => [...byName],
  };
}

const TICKS_PER_SECOND = 100;
function statFields(pid: number | "self"): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** CPU seconds of a process (utime + stime), from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
}

/**
 * CPU seconds of this process's children that have exited and been waited for (cutime + cstime):
 * the load generator, run as a child process, once it has finished.
 */
export function exitedChildrenCpuSeconds(): number {
  const f = statFields("self");
  return (Number(f[13]) + Number(f[14])) / TICKS_PER_SECOND;
}

/** The event loop's delay (ms) while the load runs: time a ready callback waited for the loop. */
export function loopDelay() {
  let histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  return {
    reset() {
      histogram.disable();
      histogram = monitorEventLoopDelay({ resolution: 5 });
      histogram.enable();
    },
    p99: () => histogram.percentile(99) / 1e6,
  };
}

/** The machine's CPU seconds (all cores, busy time) from /proc/stat, to see what else ran. */
export function machineBusySeconds(): number {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.split(/\s+/).slice(1).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / TICKS_PER_SECOND;
}
