import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import {
  CustomerControls,
  loadRolloutPolicy,
  OperatorControls,
  planVersion,
  type RolloutContext,
} from "@stackfleet/core/rollout";
import { Run } from "@stackfleet/core/run";
import type { RunRecord } from "@stackfleet/core/run/run";
import { SCHEDULE_KINDS, type ScheduleKind } from "@stackfleet/core/schedule";
import { Halts, Version } from "@stackfleet/core/version";
import type { VersionRecord } from "@stackfleet/core/version/version";
import fc from "fast-check";
import { AWS_FAULT_KINDS, type Call, FAULT_KINDS } from "../../support/faults";
import { replayCallback } from "./callback";
import { isTerminal } from "./check";
import type { ReliabilityFixture } from "./harness";

const OPERATOR = "operator:reliability" as const;
const IN_FLIGHT = ["claimed", "executing", "watching"];

/** A customer or operator decision the executor must honour from the moment it is committed. */
export interface Marker {
  kind: "halt" | "resume" | "halt-all" | "resume-all" | "opt-out" | "opt-in" | "skip";
  /** Position in the shared call log when the decision was committed: later calls happen after it. */
  at: number;
  integrationId?: string;
  version?: string;
}

/** The real system (tables, sandbox, executor) and what the invariants need to remember across steps. */
export interface World {
  rf: ReliabilityFixture;
  integrations: IntegrationRecord[];
  rollout: RolloutContext;
  latest: VersionRecord;
  nextVersion: () => string;
  markers: Marker[];
  /** Versions the operator halted and has not resumed yet. */
  halted: Set<string>;
  /** Terminal states seen: a run never leaves one. */
  terminal: Map<string, string>;
  /** Highest version sequence each integration was seen at: it never goes down. */
  highWater: Map<string, number>;
  violations: string[];
}

export async function rolloutContext(rf: ReliabilityFixture): Promise<RolloutContext> {
  const { scheduler, notifier } = rf.deps.rollout;
  return { scheduler, notifier, policy: await loadRolloutPolicy(rf.deps) };
}

type Command = fc.AsyncCommand<object, World>;

/**
 * Over every sequence and world: how often each kind of command (its name's first word) ran, how
 * often fire, retry and watch found a schedule of their kind to move the clock to, how many
 * versions the rollout had halted itself (failure tolerance) and how many retry runs existed when
 * a sequence ended.
 */
export const coverage = {
  ran: new Map<string, number>(),
  fired: { run: 0, retry: 0, watch: 0 },
  autoHalts: 0,
  /** Retry runs (attempt ≥ 2) seen when a sequence ended: the retry path ran, in commands or settling. */
  retryRuns: new Set<string>(),
};

/** A command that acts on the world, then checks the step invariants. */
const command = (name: string, act: (w: World) => Promise<unknown>): Command => ({
  check: () => true,
  run: async (_model, w) => {
    const kind = name.split(" ")[0]!;
    coverage.ran.set(kind, (coverage.ran.get(kind) ?? 0) + 1);
    await act(w).catch((e: unknown) => {
      // Refusals of the controls themselves (409 conflicts, e.g. skipping a version already applied) are fine.
      if ((e as { kind?: string }).kind !== "conflict") throw e;
    });
    await checkStep(w);
  },
  toString: () => name,
});

const mark = (w: World, marker: Omit<Marker, "at">) => w.markers.push({ ...marker, at: w.rf.faults.calls.length });
const integrationAt = async (w: World, i: number) => w.rf.integrationOf(w.integrations[i]!.integrationId);

/** The command that moves the clock to a schedule of each kind: a run's start, a retry, a watch poll. */
const FIRES: Record<ScheduleKind, string> = { run: "fire", retry: "retry", watch: "watch" };

const pick = fc.integer({ min: 0, max: 1 });

/**
 * The commands of the model: schedule (plan), fire/retry/watch (the clock moved to the next
 * schedule of that kind), time passing, duplicate, halt, resume, opt-out/in, skip, publish,
 * callback, crash, DynamoDB and CloudFormation faults, a rolled-back update, sweep.
 */
export const commands: fc.Arbitrary<Command>[] = [
  fc.constant(command("schedule", (w) => planLatest(w))),
  // `retry` three times as likely as the other commands: a retry schedule exists only after an
  // attempt failed (e.g. `update rolls back`) and until time passes it, so with equal weights the
  // command almost never met one (0 in 1,000 sequences, though hundreds of retries ran meanwhile).
  ...SCHEDULE_KINDS.flatMap((kind) =>
    Array.from({ length: kind === "retry" ? 3 : 1 }, () => fc.constant(command(FIRES[kind], (w) => fireNext(w, kind)))),
  ),
  fc
    .constantFrom(60_000, 600_000, 3_600_000, 86_400_000)
    .map((ms) => command(`time +${ms / 60_000} min`, (w) => w.rf.advanceBy(ms))),
  pick.map((i) => command(`duplicate ${i}`, (w) => duplicate(w, i))),
  fc.constant(
    command("halt version", async (w) => {
      await OperatorControls.haltRollout(w.rf.deps, w.rollout, w.latest.version, OPERATOR);
      mark(w, { kind: "halt", version: w.latest.version });
      w.halted.add(w.latest.version);
    }),
  ),
  fc.constant(command("resume version", (w) => resumeVersion(w))),
  fc.constant(
    command("halt everything", async (w) => {
      await OperatorControls.haltEverything(w.rf.deps, w.rollout, OPERATOR);
      mark(w, { kind: "halt-all" });
    }),
  ),
  fc.constant(command("resume everything", (w) => resumeEverything(w))),
  pick.map((i) =>
    command(`opt-out ${i}`, async (w) => {
      const integration = await integrationAt(w, i);
      await CustomerControls.setAutoUpdate(w.rf.deps, w.rollout, integration, false, "tenant:ten_e2e");
      mark(w, { kind: "opt-out", integrationId: integration.integrationId });
    }),
  ),
  pick.map((i) => command(`opt-in ${i}`, (w) => optIn(w, i))),
  pick.map((i) =>
    command(`skip ${i}`, async (w) => {
      const integration = await integrationAt(w, i);
      await CustomerControls.skipVersion(w.rf.deps, w.rollout, integration, w.latest.version, "tenant:ten_e2e");
      mark(w, { kind: "skip", integrationId: integration.integrationId, version: w.latest.version });
    }),
  ),
  fc.constant(command("publish", (w) => publish(w))),
  pick.map((i) =>
    command(`callback ${i}`, async (w) => {
      // A replayed (or late) registration callback: a claim the API checks against the live stack.
      const answer = await replayCallback(w.rf, w.integrations[i]!);
      if (answer.status >= 500) w.violations.push(`callback ${i} answered ${answer.status}`);
    }),
  ),
  fc.integer({ min: 1, max: 30 }).map((k) =>
    command(`crash after call +${k}`, async (w) => {
      let seen = 0;
      w.rf.faults.killAfter(() => ++seen === k);
    }),
  ),
  fc
    .tuple(fc.constantFrom(...FAULT_KINDS), fc.integer({ min: 1, max: 20 }), fc.constantFrom(1, 3))
    .map(([kind, from, times]) =>
      command(`fault ${kind} at dynamodb call +${from} x${times}`, async (w) =>
        w.rf.faults.inject({ kind, from, times, match: (c: Call) => c.service === "dynamodb" }),
      ),
    ),
  // What makes a retry schedule: an update CloudFormation rolls back (the customer's stack refused
  // a resource), or CloudFormation calls failing past the SDK's own retries. Without these the
  // `retry` command found no retry schedule in 1,000 sequences (only DynamoDB faults were drawn).
  pick.map((i) =>
    command(`stack rolls back next update ${i}`, async (w) => {
      const { accountId, region, stackName } = w.integrations[i]!;
      w.rf.stack.sandbox.control.failNextUpdate(accountId, stackName, {
        region,
        reason: "Resource handler returned message: Rate exceeded (model)",
      });
    }),
  ),
  // The same, then the clock moved through the run's start and its watch polls: the attempt rolls
  // back and a retry is pending, for the commands after it (halt, skip, crash, retry…) to meet.
  // A retry schedule needs a fire and a watch in that order after the failure is set up; drawn as
  // separate commands, that order was too rare for `retry` to ever find one (0 in 1,000 sequences).
  pick.map((i) =>
    command(`update rolls back ${i}`, async (w) => {
      const { accountId, region, stackName } = w.integrations[i]!;
      w.rf.stack.sandbox.control.failNextUpdate(accountId, stackName, { region, reason: "Rate exceeded (model)" });
      await fireNext(w, "run");
      for (let poll = 0; poll < 3; poll++) await fireNext(w, "watch");
    }),
  ),
  fc
    .tuple(fc.constantFrom(...AWS_FAULT_KINDS), fc.integer({ min: 1, max: 8 }), fc.constantFrom(1, 3, 6))
    .map(([kind, from, times]) =>
      command(`fault ${kind} at cloudformation call +${from} x${times}`, async (w) =>
        w.rf.faults.inject({ kind, from, times, match: (c: Call) => c.service === "cloudformation" }),
      ),
    ),
  fc.constant(command("sweep", (w) => w.rf.sweep())),
];

/**
 * The clock moves to the earliest pending schedule of `kind` (`<run id>.<kind>.<attempt>`), so it
 * fires with whatever else falls due by then; nothing pending of that kind: nothing happens.
 */
async function fireNext(w: World, kind: ScheduleKind): Promise<void> {
  const due = w.rf.stack.sandbox.scheduler
    .save()
    .schedules.filter((s) => s.State === "ENABLED" && s.nextFireAt && s.Name.split(".")[1] === kind)
    .map((s) => s.nextFireAt!.getTime());
  if (due.length === 0) return;
  coverage.fired[kind]++;
  // Exactly to it, not past it: what it starts (a change set, the next watch) is left for later commands.
  await w.rf.advanceBy(Math.max(0, Math.min(...due) - w.rf.stack.sandbox.clock.now().getTime()));
}

/** Schedules the latest version's runs (the planner; idempotent). */
export const planLatest = (w: World) => planVersion(w.rf.deps, w.rollout, w.latest, {});

export async function publish(w: World): Promise<void> {
  const label = w.nextVersion();
  w.latest = await w.rf.publish(label, w.rf.templateFor(label));
}

/** The end of a sequence: every halt and opt-out lifted, so every run can reach its end. */
export async function liftEverything(w: World): Promise<void> {
  await resumeEverything(w);
  // Every halted version, not only the latest (a newer publish does not lift an older halt), and
  // not only the model's own halts: the rollout halts a version itself past its failure tolerance.
  for (const version of (await Version.list(w.rf.deps, { limit: 1000 })).items) {
    if (version.state !== "halted") continue;
    if (!w.halted.has(version.version)) coverage.autoHalts++;
    await resumeVersion(w, version.version);
  }
  for (const i of w.integrations.keys()) await optIn(w, i);
}

async function resumeVersion(w: World, version = w.latest.version) {
  if ((await Version.get(w.rf.deps, version)).state !== "halted") return;
  mark(w, { kind: "resume", version });
  await OperatorControls.resumeRollout(w.rf.deps, w.rollout, version, OPERATOR);
  w.halted.delete(version);
}

async function optIn(w: World, i: number) {
  const integration = await integrationAt(w, i);
  mark(w, { kind: "opt-in", integrationId: integration.integrationId });
  await CustomerControls.setAutoUpdate(w.rf.deps, w.rollout, integration, true, "tenant:ten_e2e");
}

async function resumeEverything(w: World) {
  if (!(await Halts.globalControl(w.rf.deps)).halted) return;
  mark(w, { kind: "resume-all" });
  await OperatorControls.resumeEverything(w.rf.deps, w.rollout, OPERATOR);
}

/** At-least-once delivery made concrete: the integration's live run delivered twice at the same moment. */
async function duplicate(w: World, i: number) {
  const runs = await Run.byIntegration(w.rf.deps, w.integrations[i]!.integrationId);
  const live = runs.find((r) => !isTerminal(r));
  if (!live) return;
  await Promise.all([w.rf.invoke(live.runId), w.rf.invoke(live.runId)].map((p) => p.catch(() => undefined)));
}

/**
 * At the moment an executor process calls CloudFormation for a run, no other run of the same
 * integration is in flight: "never two runs acting on one stack" checked at every call, not only
 * between steps (two runs due at the same moment are both delivered within one step).
 */
export function watchStackTurns(w: World): void {
  w.rf.faults.beforeCall = async (call, process) => {
    if (call.service !== "cloudformation" || !process) return;
    const { runId } = JSON.parse(process) as { runId?: string };
    const run = runId ? await Run.get(w.rf.deps, runId).catch(() => undefined) : undefined;
    if (!run) return;
    const others = (await Run.byIntegration(w.rf.deps, run.integrationId, 200)).filter(
      (r) => r.runId !== run.runId && IN_FLIGHT.includes(r.state),
    );
    if (others.length)
      w.violations.push(
        `${run.runId} (${run.version}) called ${call.command} while ${others.map((r) => `${r.runId} (${r.version}) was ${r.state}`)} on the same stack`,
      );
  };
}

/** After every step: at most one run in flight per stack, no run leaves a final state, no version goes down. */
export async function checkStep(w: World): Promise<void> {
  for (const integration of w.integrations) {
    const runs: RunRecord[] = await Run.byIntegration(w.rf.deps, integration.integrationId, 200);
    const flying = runs.filter((r) => IN_FLIGHT.includes(r.state));
    if (flying.length > 1) w.violations.push(`two runs in flight on one stack: ${flying.map((r) => r.runId)}`);
    for (const run of runs) {
      const seen = w.terminal.get(run.runId);
      const now = `${run.state}/${run.outcome ?? ""}`;
      if (seen && seen !== now) w.violations.push(`${run.runId} left final state ${seen} for ${now}`);
      if (isTerminal(run)) w.terminal.set(run.runId, now);
    }
    const current = (await w.rf.integrationOf(integration.integrationId)).currentSequence ?? 0;
    const before = w.highWater.get(integration.integrationId) ?? 0;
    if (current < before) w.violations.push(`${integration.integrationId} went from sequence ${before} to ${current}`);
    w.highWater.set(integration.integrationId, Math.max(before, current));
  }
}
