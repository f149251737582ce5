import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import type { Deps } from "../context";
import { isStackfleetError } from "../error";
import { append } from "../event/event";
import { getById, type IntegrationPatch, type IntegrationRecord } from "../integration/integration";
import { STACK_OPT_OUT } from "../integration/registration";
import type { Log } from "../log";
import { eligibility } from "../rollout/eligibility";
import { reschedule } from "../rollout/reschedule";
import { plannedRunId } from "../rollout/run-id";
import * as Run from "../run/run";
import { scheduleName } from "../schedule/names";
import type { RunScheduler } from "../schedule/run-scheduler";
import type { PinnedKey } from "../signing/pinned";
import { parseTemplate } from "../template/parse";
import type { TemplateStore } from "../template-store/template-store";
import { type VerifiedRelease, verifyRelease } from "../version/verify";
import { get as getVersion, type VersionRecord } from "../version/version";
import type { CustomerAccess } from "./access";
import {
  createChangeSet,
  dangerousChanges,
  deleteChangeSet,
  describeChangeSet,
  executeChangeSet,
  parametersFor,
} from "./changeset";
import { checkLiveStack } from "./stack";
import { type WatchState, watchOnce } from "./watch";

export interface ExecutorContext {
  product: string;
  stackPrefix: string;
  /** From the executor's own configuration — never from the table or the schedule. */
  pinnedKeys: readonly PinnedKey[];
  templates: TemplateStore;
  access: CustomerAccess;
  scheduler: RunScheduler;
  /** Shown in the customer's CloudTrail as the session's source identity. */
  sourceIdentity: string;
  /** Delay before each retry attempt (attempt 2 waits retryDelaysMs[0], …); its length + 1 is the attempt limit. */
  retryDelaysMs: readonly number[];
  /** Throttling is retried soon, outside the backoff ladder. */
  throttleRetryMs: number;
  /** Time left in this invocation; watching hands over to a schedule before it runs out. */
  remainingMs(): number;
  /** Keep this much in hand when deciding to poll once more. */
  safetyMarginMs: number;
  pollMs: { initial: number; max: number };
  sleep(ms: number): Promise<void>;
  log: Log;
  /** Outcome metrics (Powertools Metrics in Lambda). */
  metric?(name: string, value: number, unit: "Count" | "Milliseconds"): void;
  /** The rollout's say around each run (`rollout/executor-hooks.ts`); absent: no waves, no windows. */
  hooks?: ExecutorHooks;
}

export interface ExecutorHooks {
  /** May this run start now? `retryAt`: defer to then; none: hold (the answer will not change by itself). */
  beforeClaim(run: Run.RunRecord): Promise<{ ok: true } | { ok: false; reason: string; retryAt?: Date }>;
  /** A final outcome (no retry follows), for the wave's tally. */
  afterFinal(run: Run.RunRecord, outcome: "succeeded" | "failed" | "finished", reason: string): Promise<void>;
}

export type ExecutionResult =
  | { result: "duplicate" | "held" | "deferred" | "unknown_run"; detail?: string }
  | {
      result: "succeeded" | "noop" | "skipped" | "ineligible" | "failed" | "cancelled" | "watch_scheduled";
      runId: string;
      reason?: string;
    };

const ACTOR = "system:executor" as const;
/** At most this many watch hand-overs (≈ a day at the default poll interval) before giving up. */
const MAX_WATCHES = 288;

const isTransient = (e: unknown) => {
  const error = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = error.$metadata?.httpStatusCode ?? 0;
  return (
    /Throttl|Rate exceeded|TimeoutError|ECONNRESET|ECONNREFUSED/i.test(`${error.name} ${error.message}`) ||
    status === 429 ||
    status >= 500
  );
};
const DANGEROUS = "change set touches the update or service role";

/**
 * One invocation for one run: input is a run id and nothing else. Every decision is a
 * conditional transition written with its audit event; nothing reaches CloudFormation before the
 * signature and the eligibility re-check have passed.
 */
export async function executeRun(deps: Deps, ctx: ExecutorContext, runId: string): Promise<ExecutionResult> {
  const started = Date.now();
  let run: Run.RunRecord;
  try {
    run = await Run.get(deps, runId);
  } catch (e) {
    if (!isStackfleetError(e, "not_found")) throw e;
    await append(deps, { actor: ACTOR, action: "executor.unknown-run", reason: "run_not_found", runId });
    return { result: "unknown_run", detail: runId };
  }
  ctx.log.appendKeys({
    runId,
    integrationId: run.integrationId,
    tenantId: run.tenantId,
    version: run.version,
    attempt: run.attempt,
  });

  if (run.state === "watching") return watch(deps, ctx, run, started);
  if (run.state !== "scheduled") {
    ctx.log.info("duplicate delivery ignored", { state: run.state });
    return { result: "duplicate", detail: run.state };
  }
  const gate = await ctx.hooks?.beforeClaim(run);
  if (gate && !gate.ok) return defer(deps, ctx, run, gate);
  try {
    run = await withTransactionRetry(() => Run.claim(deps, runId, ACTOR), ctx);
  } catch (e) {
    if (isStackfleetError(e, "conflict") && (e.code === "halted" || e.code === "version_halted")) {
      // The run stays scheduled: resuming re-plans it. Recorded, so the operator sees what waited.
      await append(deps, {
        actor: ACTOR,
        action: "run.held",
        reason: e.code,
        runId,
        integrationId: run.integrationId,
        tenantId: run.tenantId,
        version: run.version,
      });
      ctx.log.info("halted: run held", { code: e.code });
      return { result: "held", detail: e.code };
    }
    if (isStackfleetError(e, "conflict")) return { result: "duplicate", detail: e.code };
    throw e;
  }
  return new Attempt(deps, ctx, run, started).perform();
}

/**
 * DynamoDB cancels a transaction that meets another one on the same item (a wave's claims all
 * check the same `global` control item): that is contention, not a verdict — try again shortly.
 */
async function withTransactionRetry<T>(
  write: () => Promise<T>,
  ctx: Pick<ExecutorContext, "sleep">,
  attempts = 5,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (e) {
      if (!(isStackfleetError(e, "conflict") && e.code === "transaction_conflict") || attempt >= attempts) throw e;
      await ctx.sleep(50 * 2 ** attempt + Math.floor(Math.random() * 50));
    }
  }
}

/**
 * Not now: the run stays `scheduled` and, when the rollout says when to look again, a new wake-up
 * is scheduled — named after its minute, so deferring twice to the same minute is one schedule.
 */
async function defer(
  deps: Deps,
  ctx: ExecutorContext,
  run: Run.RunRecord,
  gate: { reason: string; retryAt?: Date },
): Promise<ExecutionResult> {
  const subject = { runId: run.runId, integrationId: run.integrationId, tenantId: run.tenantId, version: run.version };
  if (!gate.retryAt) {
    await append(deps, { actor: ACTOR, action: "run.held", reason: gate.reason, ...subject });
    return { result: "held", detail: gate.reason };
  }
  // Recorded like any reschedule (new time, new schedule name, audit event), so planning and
  // resume see when the run now waits for.
  await reschedule(deps, { scheduler: ctx.scheduler }, run, {
    at: gate.retryAt,
    actor: ACTOR,
    action: "run.deferred",
    reason: gate.reason,
    notify: false,
  });
  ctx.log.info("run deferred", { reason: gate.reason, until: gate.retryAt.toISOString() });
  return { result: "deferred", detail: gate.reason };
}

class Attempt {
  private integration!: IntegrationRecord;
  private version!: VersionRecord;

  constructor(
    private readonly deps: Deps,
    private readonly ctx: ExecutorContext,
    private run: Run.RunRecord,
    private readonly started: number,
  ) {}

  /** Set once the run's outcome is being written: an error then is not the update's failure. */
  private finishing = false;
  /** Set once CloudFormation accepted our change set: from then on the update runs whatever we do. */
  private executed = false;

  /** Any unexpected error before execution still ends the attempt on record, with a retry. */
  async perform(): Promise<ExecutionResult> {
    try {
      return await this.attempt();
    } catch (e) {
      if (this.finishing || this.executed) throw e;
      return this.failRetryable(e);
    }
  }

  private async attempt(): Promise<ExecutionResult> {
    const integration = await getById(this.deps, this.run.integrationId);
    if (!integration) return this.finish("cancelled", "integration no longer exists", { retry: false });
    this.integration = integration;
    this.version = await getVersion(this.deps, this.run.version);

    // 1. Verify bytes first; only verified bytes are ever parsed or sent.
    let release: VerifiedRelease;
    try {
      release = verifyRelease({
        manifestBytes: Buffer.from(this.version.manifest, "base64"),
        signature: Buffer.from(this.version.signature, "base64"),
        keyId: this.version.keyId,
        templateBytes: await this.ctx.templates.get(this.version.templateSha256),
        pinnedKeys: this.ctx.pinnedKeys,
        now: this.deps.now(),
        current: integration.currentVersion
          ? { version: integration.currentVersion, sequence: integration.currentSequence }
          : null,
        expect: {
          product: this.ctx.product,
          stackPrefix: this.ctx.stackPrefix,
          version: this.run.version,
          sequence: this.run.sequence,
        },
      });
    } catch (e) {
      if (!isStackfleetError(e)) throw e;
      return this.finish("failed", `verification failed: ${e.code}: ${e.message}`, { retry: false, code: e.code });
    }

    // 2. Eligibility in the table, now — not as the planner saw it.
    const verdict = eligibility(integration, this.version);
    if (!verdict.eligible) return this.finish(verdict.state, verdict.reason, { retry: false });

    // 3. Into the customer account, with their ExternalId from the table.
    let cfn: CloudFormationClient;
    try {
      cfn = await this.ctx.access.open({
        roleArn: integration.updateRoleArn!,
        externalId: integration.externalId,
        sessionName: this.run.runId,
        sourceIdentity: this.ctx.sourceIdentity,
        region: integration.region,
      });
    } catch (e) {
      if (isStackfleetError(e, "forbidden")) {
        await append(this.deps, {
          actor: ACTOR,
          action: "access.lost",
          reason: e.code,
          notify: true,
          integrationId: integration.integrationId,
          tenantId: integration.tenantId,
          data: { message: e.message },
        });
        return this.finish("failed", e.message, {
          retry: false,
          code: e.code,
          integration: { status: "access-lost", statusReason: e.message },
        });
      }
      return this.failRetryable(e);
    }

    try {
      return await this.update(cfn, release);
    } finally {
      cfn.destroy();
    }
  }

  private async update(cfn: CloudFormationClient, release: VerifiedRelease): Promise<ExecutionResult> {
    const { integration, run } = this;
    // 4. The live stack: prefix, the customer's own EnableAutoUpdate, an updatable status.
    const live = await checkLiveStack(cfn, integration.stackName, this.ctx.stackPrefix);
    if (!live.ok) {
      if (live.kind === "auto_update_off") {
        return this.finish("ineligible", live.reason, {
          retry: false,
          integration: { autoUpdate: false, autoUpdateReason: STACK_OPT_OUT },
        });
      }
      if (live.kind === "not_updatable")
        return this.finish("failed", live.reason, { retry: true, code: "stack_not_updatable" });
      return this.finish("failed", live.reason, { retry: false, code: live.kind });
    }
    const serviceRoleArn = live.stack.RoleARN ?? integration.serviceRoleArn;
    if (!serviceRoleArn)
      return this.finish("failed", "the stack has no CloudFormation service role", {
        retry: false,
        code: "no_service_role",
      });

    // 5. A change set of exactly the verified bytes, every existing parameter kept.
    // Fatal: bytes that are not UTF-8 must fail here, not reach CloudFormation altered.
    const templateBody = new TextDecoder("utf-8", { fatal: true }).decode(release.templateBytes);
    const parameters = parametersFor(
      Object.keys(parseTemplate(templateBody).Parameters ?? {}),
      live.parameters,
      release.manifest,
    );
    const changeSetId = await createChangeSet(cfn, {
      stackName: integration.stackName,
      runId: run.runId,
      templateBody,
      parameters,
      capabilities: release.manifest.capabilities,
      serviceRoleArn,
    });
    let state = await describeChangeSet(cfn, integration.stackName, changeSetId);
    for (let wait = this.ctx.pollMs.initial; state.kind === "pending"; wait = Math.min(wait * 2, this.ctx.pollMs.max)) {
      if (this.ctx.remainingMs() < wait + this.ctx.safetyMarginMs) {
        await deleteChangeSet(cfn, integration.stackName, changeSetId);
        return this.finish("failed", "the change set was not ready within this invocation", {
          retry: true,
          code: "change_set_slow",
        });
      }
      await this.ctx.sleep(wait);
      state = await describeChangeSet(cfn, integration.stackName, changeSetId);
    }
    if (state.kind === "no_changes") {
      await deleteChangeSet(cfn, integration.stackName, changeSetId);
      return this.finish("succeeded", "the stack already matches this version", { retry: false, noop: true });
    }
    if (state.kind === "failed")
      return this.finish("failed", `change set failed: ${state.reason}`, { retry: false, code: "change_set_failed" });
    const dangers = dangerousChanges(state.changeSet);
    if (dangers.length > 0) {
      await deleteChangeSet(cfn, integration.stackName, changeSetId);
      return this.finish("failed", `${DANGEROUS}: ${dangers.join(", ")}`, {
        retry: false,
        code: "dangerous_change_set",
      });
    }

    // 6. The last moment: halts and the table's eligibility are checked again, in the same
    // transaction that marks the run executing. Only then does CloudFormation get the go.
    try {
      this.run = await withTransactionRetry(
        () =>
          Run.transition(this.deps, {
            runId: run.runId,
            from: "claimed",
            to: "executing",
            actor: ACTOR,
            action: "run.executing",
            requireNotHalted: true,
            requireEligible: true,
          }),
        this.ctx,
      );
    } catch (e) {
      if (
        !(isStackfleetError(e, "conflict") && ["halted", "version_halted", "integration_ineligible"].includes(e.code))
      )
        throw e;
      await deleteChangeSet(cfn, integration.stackName, changeSetId);
      if (e.code === "integration_ineligible")
        return this.finish("ineligible", e.message, { retry: false, code: e.code });
      // Halted between claim and execution: a later attempt is held until the halt is lifted.
      return this.finish("failed", `halted before execution: ${e.message}`, { retry: true, code: e.code });
    }
    await executeChangeSet(cfn, integration.stackName, changeSetId, run.runId);
    this.executed = true;
    this.run = await withTransactionRetry(
      () =>
        Run.transition(this.deps, {
          runId: run.runId,
          from: "executing",
          to: "watching",
          actor: ACTOR,
          action: "run.watching",
          set: { changeSetId },
          data: { changes: state.changeSet.Changes?.length ?? 0 },
        }),
      this.ctx,
    );
    return pollUntilDone(this.deps, this.ctx, this.run, this.integration, cfn, this.started);
  }

  private failRetryable(error: unknown): Promise<ExecutionResult> {
    const throttled = /Throttl|Rate exceeded/i.test(`${(error as Error).name} ${(error as Error).message}`);
    const named = error as { code?: unknown; name?: string };
    const code = throttled
      ? "throttled"
      : isStackfleetError(error)
        ? error.code
        : typeof named.code === "string"
          ? named.code
          : (named.name ?? "error");
    this.ctx.log.warn("attempt failed", { code, error: (error as Error).message });
    return this.finish("failed", `${code}: ${(error as Error).message}`, { retry: true, code, soon: throttled });
  }

  private finish(
    to: "succeeded" | "failed" | "skipped" | "ineligible" | "cancelled",
    reason: string,
    options: FinishOptions,
  ): Promise<ExecutionResult> {
    this.finishing = true;
    return finishRun(this.deps, this.ctx, this.run, this.version, this.integration, to, reason, options, this.started);
  }
}

interface FinishOptions {
  retry: boolean;
  code?: string;
  noop?: boolean;
  soon?: boolean;
  integration?: IntegrationPatch;
}

/** Resumes watching a run a previous invocation handed over. */
async function watch(deps: Deps, ctx: ExecutorContext, run: Run.RunRecord, started: number): Promise<ExecutionResult> {
  const integration = await getById(deps, run.integrationId);
  const version = await getVersion(deps, run.version);
  if (!integration?.updateRoleArn)
    return finishRun(
      deps,
      ctx,
      run,
      version,
      integration,
      "failed",
      "integration lost its update role while watching",
      { retry: false, code: "access_lost" },
      started,
    );
  // Claim the watch: a duplicate delivery of the watch schedule loses this conditional write.
  try {
    run = await Run.transition(deps, {
      runId: run.runId,
      from: "watching",
      to: "watching",
      actor: ACTOR,
      action: "run.watch-resumed",
    });
  } catch (e) {
    if (isStackfleetError(e, "conflict")) return { result: "duplicate", detail: e.code };
    throw e;
  }
  let cfn: CloudFormationClient;
  try {
    cfn = await ctx.access.open({
      roleArn: integration.updateRoleArn,
      externalId: integration.externalId,
      sessionName: run.runId,
      sourceIdentity: ctx.sourceIdentity,
      region: integration.region,
    });
  } catch (e) {
    const reason = `cannot watch: ${(e as Error).message}`;
    return finishRun(
      deps,
      ctx,
      run,
      version,
      integration,
      "failed",
      reason,
      { retry: !isStackfleetError(e, "forbidden"), code: isStackfleetError(e) ? e.code : "sts_failed" },
      started,
    );
  }
  try {
    return await pollUntilDone(deps, ctx, run, integration, cfn, started);
  } finally {
    cfn.destroy();
  }
}

async function pollUntilDone(
  deps: Deps,
  ctx: ExecutorContext,
  run: Run.RunRecord,
  integration: IntegrationRecord,
  cfn: CloudFormationClient,
  started: number,
): Promise<ExecutionResult> {
  const version = await getVersion(deps, run.version);
  for (let wait = ctx.pollMs.initial; ; wait = Math.min(wait * 2, ctx.pollMs.max)) {
    // A throttled or briefly failing poll is not the update failing: look again after the backoff.
    // A stack that is gone or a role we may no longer use ends the watch.
    const state = await watchOnce(cfn, integration.stackName, run.runId).catch((e: unknown): WatchState => {
      if (!isTransient(e)) return { kind: "lost", reason: `${(e as Error).name}: ${(e as Error).message}` };
      ctx.log.warn("watch poll failed", { error: (e as Error).message });
      return { kind: "in_progress" };
    });
    if (state.kind === "lost")
      return finishRun(
        deps,
        ctx,
        run,
        version,
        integration,
        "failed",
        `lost sight of the update: ${state.reason}`,
        { retry: false, code: "watch_lost" },
        started,
      );
    if (state.kind === "succeeded")
      return finishRun(deps, ctx, run, version, integration, "succeeded", "stack updated", { retry: false }, started);
    if (state.kind === "rolled_back")
      return finishRun(
        deps,
        ctx,
        run,
        version,
        integration,
        "failed",
        `update rolled back (${state.status}): ${state.reason}`,
        { retry: true, code: "rolled_back" },
        started,
      );
    if (ctx.remainingMs() < wait + ctx.safetyMarginMs) {
      // Stack updates can outlast a Lambda: a one-shot "watch" schedule continues where we stop.
      const watches = (run.watches ?? 0) + 1;
      if (watches > MAX_WATCHES) {
        return finishRun(
          deps,
          ctx,
          run,
          version,
          integration,
          "failed",
          `no outcome after ${MAX_WATCHES} watch hand-overs`,
          { retry: false, code: "watch_timeout" },
          started,
        );
      }
      await ctx.scheduler.scheduleRun({
        runId: run.runId,
        at: new Date(deps.now().getTime() + ctx.pollMs.max),
        kind: "watch",
        attempt: watches,
      });
      await Run.transition(deps, {
        runId: run.runId,
        from: "watching",
        to: "watching",
        actor: ACTOR,
        action: "run.watch-handover",
        set: { watches },
        data: { stackStatus: state.status },
      });
      return { result: "watch_scheduled", runId: run.runId };
    }
    await ctx.sleep(wait);
  }
}

/**
 * The end of an attempt: the run's final state, its audit event and the customer notification,
 * the integration's new version (on success) and the next attempt (on a retryable failure) —
 * one transaction. The retry's schedule is created after; if that fails, the run stays
 * `scheduled` and re-planning picks it up.
 */
async function finishRun(
  deps: Deps,
  ctx: ExecutorContext,
  run: Run.RunRecord,
  version: VersionRecord | undefined,
  integration: IntegrationRecord | undefined,
  to: "succeeded" | "failed" | "skipped" | "ineligible" | "cancelled",
  reason: string,
  options: FinishOptions,
  started: number,
): Promise<ExecutionResult> {
  const retryAt = options.retry ? nextAttemptAt(deps, ctx, run, options.soon) : undefined;
  // The rollout's id scheme: the same retry can only ever be created once.
  const nextRunId = retryAt ? plannedRunId(run.version, run.integrationId, run.attempt + 1) : undefined;
  const integrationPatch =
    to === "succeeded" && version
      ? { currentVersion: version.version, currentSequence: version.sequence, ...options.integration }
      : options.integration;
  // The customer stack's own registration callback (fired by this very update) may have changed
  // the integration meanwhile: re-read it, and retry the write if it moves under us again.
  for (let attempt = 1; ; attempt++) {
    const fresh =
      integration && integrationPatch
        ? await getById(deps, integration.integrationId, { consistent: true })
        : integration;
    try {
      await Run.transition(deps, {
        runId: run.runId,
        from: run.state,
        to,
        actor: ACTOR,
        action: options.noop ? "run.noop" : `run.${to}`,
        reason,
        notify: true,
        data: { code: options.code, durationMs: Date.now() - started, retryAt: retryAt?.toISOString() },
        set: { reason, outcome: options.noop ? "noop" : to, finishedAt: deps.now().toISOString() },
        integration: fresh && integrationPatch ? { current: fresh, patch: integrationPatch } : undefined,
        next:
          retryAt && nextRunId
            ? {
                run: {
                  runId: nextRunId,
                  integrationId: run.integrationId,
                  tenantId: run.tenantId,
                  version: run.version,
                  sequence: run.sequence,
                  attempt: run.attempt + 1,
                  scheduledFor: retryAt,
                  wave: run.wave,
                  scheduleName: scheduleName(nextRunId, "retry", run.attempt + 1),
                },
                event: {
                  actor: ACTOR,
                  action: "run.retry-planned",
                  reason,
                  notify: true,
                  data: { attempt: run.attempt + 1, at: retryAt.toISOString(), previousRunId: run.runId },
                },
              }
            : undefined,
      });
      break;
    } catch (e) {
      // Another delivery finished this run first (two watchers racing): ours is the duplicate.
      if (isStackfleetError(e, "conflict") && e.code === "run_state_changed")
        return { result: "duplicate", detail: e.code };
      const retryable =
        isStackfleetError(e, "conflict") && (e.code === "integration_changed" || e.code === "transaction_conflict");
      if (!retryable || attempt >= 5) throw e;
      await ctx.sleep(50 * 2 ** attempt);
    }
  }
  if (retryAt && nextRunId)
    await ctx.scheduler.scheduleRun({ runId: nextRunId, at: retryAt, kind: "retry", attempt: run.attempt + 1 });
  else await ctx.hooks?.afterFinal(run, to === "succeeded" || to === "failed" ? to : "finished", reason);
  const result = options.noop ? "noop" : to;
  ctx.log.info("run finished", { result, reason, code: options.code, retryAt: retryAt?.toISOString() });
  ctx.metric?.(`run_${result}`, 1, "Count");
  ctx.metric?.("run_duration", Date.now() - started, "Milliseconds");
  return { result, runId: run.runId, reason };
}

function nextAttemptAt(deps: Deps, ctx: ExecutorContext, run: Run.RunRecord, soon?: boolean): Date | undefined {
  if (run.attempt > ctx.retryDelaysMs.length) return undefined;
  const delay = soon ? ctx.throttleRetryMs : ctx.retryDelaysMs[run.attempt - 1]!;
  return new Date(deps.now().getTime() + delay);
}
