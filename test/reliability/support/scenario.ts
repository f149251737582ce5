import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import type { RunRecord } from "@stackfleet/core/run/run";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { afterAll, beforeAll } from "vitest";
import type { Call } from "../../support/faults";
import { isTerminal, settle, type Violation, violations } from "./check";
import { type ReliabilityFixture, startReliabilityFixture } from "./harness";

export const FULL = process.env.RELIABILITY_FULL === "1";

/** `RELIABILITY_ONLY=<part>` runs one part of a file that says which parts it has (unset: all of them). */
export const runsPart = (part: string) => (process.env.RELIABILITY_ONLY ?? part) === part;

/**
 * `RELIABILITY_SITES=5,6` runs only those call sites (1-based, as a report names them) and
 * `RELIABILITY_KINDS=throttle,lost-response` only those fault kinds, to replay a full sweep's
 * findings in minutes; unset, every site and kind the sweep's size chooses.
 */
const listed = (name: string) =>
  process.env[name]
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const SITES = listed("RELIABILITY_SITES")?.map(Number);
const KINDS = listed("RELIABILITY_KINDS");
export const siteChosen = (position: number) => !SITES || SITES.includes(position);
export const kindChosen = (kind: string) => !KINDS || KINDS.includes(kind);

/**
 * CI runs a rotating share of each sweep (full size runs all of it): the day number by default,
 * so every site comes round within a few days; `RELIABILITY_ROTATION=n` replays a CI run's choice.
 */
export const ROTATION = Number(process.env.RELIABILITY_ROTATION ?? Math.floor(Date.now() / 86_400_000));

/** `count` of `items` (all of them at full size), starting at the rotation and wrapping round. */
export function rotating<T>(items: readonly T[], count: number): T[] {
  if (FULL || items.length <= count) return [...items];
  const start = ROTATION % items.length;
  return Array.from({ length: count }, (_, i) => items[(start + i) % items.length]!);
}

export interface ScenarioResult {
  version: VersionRecord;
  run: RunRecord;
  /** The calls of the first delivery (and its Lambda retries), before settling. */
  during: Call[];
  found: Violation[];
}

/**
 * One update after another of the same integration, each to a newly published version: a
 * scenario arranges its faults, lets the run fire at grace end, then faults stop, time passes
 * and the sweeper runs until the integration settles, and the invariants are checked.
 */
export class UpdateScenarios {
  private published = 0;

  constructor(
    private readonly rf: ReliabilityFixture,
    readonly integration: IntegrationRecord,
    /** Versions are `<major>.<n>.0`: one major per test file keeps their sequences apart. */
    private readonly major = 1,
  ) {}

  async run(
    arrange: (scenario: { version: VersionRecord; run: RunRecord }) => void,
    options: { settled?: (runs: RunRecord[]) => boolean } = {},
  ): Promise<ScenarioResult> {
    const { rf, integration } = this;
    const label = `${this.major}.${++this.published}.0`;
    const version = await rf.publish(label, rf.templateFor(label));
    const run = await rf.schedule(integration, version);
    const mark = rf.faults.calls.length;
    arrange({ version, run });
    await rf.advanceTo(version.graceEndsAt);
    // A run's own life can outlast that first advance (its watch hands over to a schedule): what
    // was armed stays armed while the run lives, so the site it names is reached in every scenario.
    for (let i = 0; i < 10 && rf.faults.pending && !isTerminal(await rf.runOf(run.runId)); i++)
      await rf.advanceBy(60_000);
    const during = rf.faults.calls.slice(mark);
    await settle(rf, integration, options.settled);
    return { version, run, during, found: await violations(rf, integration, version.version) };
  }
}

/** A call site as a reader finds it in a report: `call 8 TransactWriteItemsCommand run:executing/claimed event`. */
export const describeCall = (call: Call, position: number) =>
  `call ${position} ${call.service} ${call.command} ${call.label.startsWith("stackfleet-") || call.label.startsWith("arn:") ? "" : call.label}`.trim();

/** A CloudFormation status read: the watch's polls, not a step of the update. */
export const isPoll = (c: Call) => c.command === "DescribeStackEventsCommand";

/**
 * One local Stackfleet with one connected integration for a whole test file (the vitest hooks are
 * registered here): `file.rf` and `file.updates` are set before the file's first test.
 */
export function updateFixture(): { readonly rf: ReliabilityFixture; readonly updates: UpdateScenarios } {
  const file = {} as { rf: ReliabilityFixture; updates: UpdateScenarios };
  beforeAll(async () => {
    file.rf = await startReliabilityFixture();
    file.updates = new UpdateScenarios(file.rf, await file.rf.connect("333333333333", "eu-west-1"));
  }, 120_000);
  afterAll(() => file.rf?.stack.stop());
  return file;
}
