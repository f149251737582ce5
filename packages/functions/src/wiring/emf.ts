import { CLOUDWATCH_NAMES, METRIC_DIMENSION_STAGE, METRIC_NAMESPACE } from "@stackfleet/core/metrics";

/**
 * CloudWatch embedded metrics (EMF) for the executor, written by hand: Powertools' Metrics,
 * Logger and commons are ~32 KiB of the executor's Lambda bundle, which has a 300 KiB budget
 * (test/bundle.test.ts). The other functions keep Powertools (wiring/powertools.ts). A flush
 * writes the line Powertools' `publishStoredMetrics()` writes for the same calls — same
 * namespace, `[["Stage"]]` as the only dimension set (the alarms match dimensions exactly), the
 * names the alarms watch, repeated names as arrays of values — and nothing when nothing was
 * recorded; packages/functions/test/emf.test.ts compares the two.
 */
export interface EmfMetrics {
  /** Core's `metric(name, …)`, published under the name the alarms watch (core/metrics.ts). */
  metric(name: string, value: number, unit: "Count" | "Milliseconds"): void;
  /** Writes what was recorded since the last flush as one EMF line; once per invocation. */
  flush(): void;
}

// EMF's limits, as Powertools applies them: 100 metrics per line, 100 values per metric.
const MAX_METRICS = 100;
const MAX_VALUES = 100;

type Stored = { unit: string; values: number[] };

export function emfMetrics(
  stage: string | undefined = process.env.STACKFLEET_STAGE,
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
  now: () => number = Date.now,
): EmfMetrics {
  let stored = new Map<string, Stored>();
  const flush = () => {
    if (stored.size === 0) return;
    const metrics = [...stored];
    stored = new Map();
    const directive = {
      Namespace: METRIC_NAMESPACE,
      Dimensions: [[METRIC_DIMENSION_STAGE]],
      Metrics: metrics.map(([Name, { unit }]) => ({ Name, Unit: unit })),
    };
    const values = Object.fromEntries(
      metrics.map(([name, { values }]) => [name, values.length === 1 ? values[0] : values]),
    );
    write(
      JSON.stringify({
        _aws: { Timestamp: now(), CloudWatchMetrics: [directive] },
        [METRIC_DIMENSION_STAGE]: stage ?? "unknown",
        ...values,
      }),
    );
  };
  const metric = (name: string, value: number, unit: "Count" | "Milliseconds") => {
    const cloudWatchName = CLOUDWATCH_NAMES[name] ?? name;
    if (stored.size >= MAX_METRICS) flush();
    const existing = stored.get(cloudWatchName);
    if (existing && existing.unit !== unit)
      throw new Error(`Metric "${cloudWatchName}" has already been added with unit "${existing.unit}", not "${unit}"`);
    const entry = existing ?? { unit, values: [] };
    entry.values.push(value);
    stored.set(cloudWatchName, entry);
    if (entry.values.length === MAX_VALUES) flush();
  };
  return { metric, flush };
}
