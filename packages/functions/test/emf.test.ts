import { CLOUDWATCH_NAMES, METRIC_NAMESPACE, METRICS } from "@stackfleet/core/metrics";
import { afterEach, describe, expect, it, vi } from "vitest";
import { emfMetrics } from "../src/wiring/emf";
import { powertoolsMetric, stackfleetMetrics } from "../src/wiring/powertools";

type Report = (name: string, value: number, unit: "Count" | "Milliseconds") => void;
const calls: Parameters<Report>[] = [
  ["run_succeeded", 1, "Count"],
  ["RunsRefused", 1, "Count"],
  ["run_duration", 1234, "Milliseconds"],
  ["run_duration", 88, "Milliseconds"],
  ["aws_calls", 7, "Count"],
];

function handWritten(stage: string) {
  const lines: string[] = [];
  const metrics = emfMetrics(
    stage,
    (line) => lines.push(line),
    () => 1_764_400_000_000,
  );
  return { metrics, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

afterEach(() => vi.useRealTimers());

// The executor writes EMF by hand (bundle budget); the alarms were built against Powertools' lines.
describe("the executor's embedded metrics", () => {
  it("are the line Powertools' Metrics writes for the same calls", () => {
    vi.useFakeTimers({ now: 1_764_400_000_000 });
    const powertools = stackfleetMetrics("production-updater");
    for (const call of calls) powertoolsMetric(powertools)(...call);
    const { metrics, parsed } = handWritten("production-updater");
    for (const call of calls) metrics.metric(...call);
    metrics.flush();
    expect(parsed()).toEqual([JSON.parse(JSON.stringify(powertools.serializeMetrics()))]);
  });

  it("follow the EMF specification, under the namespace, dimension and names the alarms watch", () => {
    const { metrics, parsed } = handWritten("prod");
    for (const call of calls) metrics.metric(...call);
    metrics.flush();
    const [line] = parsed() as [
      {
        _aws: {
          Timestamp: number;
          CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
        };
      } & Record<string, unknown>,
    ];
    expect(line._aws.Timestamp).toBe(1_764_400_000_000);
    expect(line._aws.CloudWatchMetrics).toHaveLength(1);
    const [directive] = line._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe(METRIC_NAMESPACE);
    // Exactly one dimension set, the stage: CloudWatch matches an alarm's dimensions exactly.
    expect(directive?.Dimensions).toEqual([["Stage"]]);
    expect(line.Stage).toBe("prod");
    expect(directive?.Metrics).toEqual([
      { Name: METRICS.runsSucceeded, Unit: "Count" },
      { Name: METRICS.runsRefused, Unit: "Count" },
      { Name: "run_duration", Unit: "Milliseconds" },
      { Name: "aws_calls", Unit: "Count" },
    ]);
    // Every metric named in the directive has its value at the root, as EMF requires.
    expect(line[METRICS.runsSucceeded]).toBe(1);
    expect(line.run_duration).toEqual([1234, 88]);
    expect(CLOUDWATCH_NAMES.run_succeeded).toBe(METRICS.runsSucceeded);
  });

  it("write one line per flush, nothing when nothing was recorded, and start afresh after it", () => {
    const { metrics, lines, parsed } = handWritten("prod");
    metrics.flush();
    expect(lines).toEqual([]);
    metrics.metric("run_failed", 1, "Count");
    metrics.metric("run_failed", 1, "Count");
    metrics.flush();
    metrics.flush();
    metrics.metric("run_succeeded", 1, "Count");
    metrics.flush();
    expect(parsed().map((l) => [l[METRICS.runsFailed], l[METRICS.runsSucceeded]])).toEqual([
      [[1, 1], undefined],
      [undefined, 1],
    ]);
  });

  it("split at EMF's limits exactly as Powertools does: 100 values of a metric, 100 metrics per line", () => {
    vi.useFakeTimers({ now: 1_764_400_000_000 });
    const fill = (report: Report) => {
      for (let i = 0; i < 101; i++) report("run_duration", i, "Milliseconds");
      for (let i = 0; i < 101; i++) report(`m${i}`, 1, "Count");
    };
    const written: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => written.push(String(chunk)) > 0);
    const powertools = stackfleetMetrics("prod");
    fill(powertoolsMetric(powertools));
    powertools.publishStoredMetrics();
    stdout.mockRestore();
    const { metrics, parsed } = handWritten("prod");
    fill(metrics.metric);
    metrics.flush();
    const theirs = written.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(theirs).toHaveLength(3);
    expect(parsed()).toEqual(theirs);
    metrics.metric("m1", 1, "Count");
    expect(() => metrics.metric("m1", 1, "Milliseconds")).toThrow(/already been added with unit "Count"/);
  });
});
