import type { SchedulerClient } from "@aws-sdk/client-scheduler";
import type { StackfleetConfig } from "@stackfleet/core/config";
import { jsonLog, type Log } from "@stackfleet/core/log";
import type { Notifier } from "@stackfleet/core/notify";
import type { PinnedKey } from "@stackfleet/core/signing";
import { HOUR_MS } from "@stackfleet/core/time";
import { wireExecutor } from "@stackfleet/functions/wiring/executor";
import { wireSweeper } from "@stackfleet/functions/wiring/sweeper";
import type { Sandbox, SandboxAccount } from "@stackfleet/sandbox/index";
import { waitOnManualClock } from "./dev/manual-wait";
import type { LocalTemplateStore } from "./dev/template-store";
import { executorAccess, seedExecutorRole } from "./executor-role";
import type { LocalSchedule, LocalTables } from "./local-aws";

/** Executor timings; tests shorten them. */
export interface LocalExecutorOptions {
  retryDelaysMs?: number[];
  pollMs?: { initial: number; max: number };
  invocationMs?: number;
  /** The executor's minimum grace since it first saw a version (default `graceMs`, else 24 h). */
  minGraceMs?: number;
  /** Approver keys the executor and the API pin for broadening versions (default: the local approver key). */
  approverKeys?: PinnedKey[];
  /**
   * The local approver co-signs every broadening version as it is published (default true), so
   * one-step local publishing still updates; false: broadening versions wait for an approval.
   */
  autoApprove?: boolean;
}

export interface LocalExecutorInput {
  config: StackfleetConfig;
  tableName: string;
  tables: LocalTables;
  sandbox: Sandbox;
  updaterAccount: SandboxAccount;
  templates: LocalTemplateStore;
  schedule: LocalSchedule;
  schedulerClient: SchedulerClient;
  notifier: Notifier;
  pinnedKeys: PinnedKey[];
  approverKeys: PinnedKey[];
  options: LocalExecutorOptions;
  graceMs?: number;
  /** The executor's log; default JSON lines named stackfleet-executor. */
  log?: Log;
}

/**
 * The executor Lambda's own wiring with local adapters, registered as the sandbox Scheduler's
 * target, and the sweeper that re-delivers to it as the Lambda does in AWS.
 */
export function wireLocalExecutor(input: LocalExecutorInput) {
  const { config, sandbox, options } = input;
  const roleArn = seedExecutorRole(sandbox, input.updaterAccount, config.executorRoleName, config.stackPrefix);
  const live = { invocationMs: options.invocationMs ?? 900_000 };
  const executor = wireExecutor(
    {
      product: config,
      tableName: input.tableName,
      pinnedKeys: input.pinnedKeys,
      schedule: input.schedule,
      floor: {
        updaterTable: input.tables.updaterTable,
        minGraceHours: (options.minGraceMs ?? input.graceMs ?? 24 * HOUR_MS) / HOUR_MS,
        approverKeys: input.approverKeys,
      },
    },
    {
      ...input.tables.table,
      templates: input.templates,
      access: executorAccess(sandbox, input.updaterAccount, roleArn),
      schedulerClient: input.schedulerClient,
      notifier: input.notifier,
      timings: {
        safetyMarginMs: 1_000,
        pollMs: options.pollMs ?? { initial: 1_000, max: 5_000 },
        ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
      },
      // On a manual clock a wait moves time and lets the stacks catch up (firing schedules from
      // inside a firing would wait for itself).
      sleep: async (ms) => {
        if (sandbox.clock.kind === "manual") await waitOnManualClock(sandbox.clock, sandbox.engine, ms);
        else await new Promise((done) => setTimeout(done, ms));
      },
    },
  );
  // Invoked as Lambda would be: asynchronously, with the schedule's input as the event.
  const invoke = async (event: string) => {
    const started = Date.now();
    await executor.handle(JSON.parse(event), {
      remainingMs: () => live.invocationMs - (Date.now() - started),
      log: input.log ?? jsonLog("stackfleet-executor"),
    });
  };
  sandbox.targets.register(input.schedule.executorArn, invoke);
  const sweeper = wireSweeper(
    { tableName: input.tableName },
    { ...input.tables.table, notifier: input.notifier, redeliver: (runId) => invoke(JSON.stringify({ runId })) },
  );
  return { scheduler: executor.scheduler, timings: live, sweeper };
}
