/**
 * The Stackfleet sandbox — DEVELOPMENT AND TEST HARNESS ONLY. A local endpoint speaking the AWS
 * wire protocols of STS, CloudFormation and EventBridge Scheduler, so the production AWS SDK
 * adapters run unchanged against it (SDK `endpoint` option or `AWS_ENDPOINT_URL_STS` /
 * `_CLOUDFORMATION` / `_SCHEDULER`). Never a production path; never bundled into a Lambda.
 */
import type { Server } from "node:http";
import { ManualClock, RealClock } from "./clock";
import { CloudFormationEngine, type CustomResourceHook, type PhaseDurations } from "./cloudformation/index";
import type { SavedRegion } from "./cloudformation/snapshot";
import type { IamRole, ManagedPolicy } from "./contract";
import { SandboxControl } from "./control";
import { controlRoute } from "./control-routes";
import { type CloudFormationAnswer, InlineLambdaRunner } from "./custom-resource/inline-lambda";
import {
  AccountRegistry,
  type AccountRole,
  accountWithKeys,
  defaultAccounts,
  type SandboxAccount,
} from "./iam/accounts";
import { Authorizer } from "./iam/authorize";
import { InMemoryRoleStore } from "./iam/role-store";
import { startLoop } from "./loop";
import { type SandboxSnapshot, StateFile } from "./persistence/state-file";
import { ScheduleFiring } from "./scheduler/firing";
import { SchedulerService } from "./scheduler/service";
import { TargetRegistry } from "./scheduler/targets";
import type { Schedule, ScheduleGroup } from "./scheduler/types";
import { CloudFormationEndpoint } from "./server/cloudformation";
import { TransportFaults } from "./server/faults";
import { createSandboxServer, listen } from "./server/http";
import { SchedulerEndpoint } from "./server/scheduler";
import { StsEndpoint } from "./server/sts";
import { AssumeRoleService } from "./sts/assume-role";
import { SessionStore } from "./sts/sessions";

export { ManualClock, RealClock } from "./clock";
export type {
  CustomResourceHook,
  CustomResourceRequest,
  CustomResourceResponse,
  PhaseDurations,
} from "./cloudformation/index";
export { parseDuration } from "./duration";
export type { AccountRole, SandboxAccount } from "./iam/accounts";
export type { DeadLetter, Delivery, TargetHandler } from "./scheduler/targets";

export interface SandboxOptions {
  /** 0 picks a free port. Default 4566 is avoided on purpose: it is LocalStack's. */
  port?: number;
  host?: string;
  /**
   * `real` fires schedules from a timer loop (`control.advanceClock` jumps it ahead); `manual` moves
   * only with `control.advanceClock`. Pass
   * a `ManualClock` instance to share one clock with the code under test: however it is moved, the
   * sandbox fires what became due (`control.advanceClock` also steps through each due time in order).
   */
  clock?: "real" | "manual" | ManualClock | RealClock;
  /** Where a `"manual"` clock starts (default: now, or where the saved state's clock stopped). */
  startTime?: Date;
  /**
   * Where stacks, IAM roles and policies, and schedules are saved (`sandbox-state.json`) and
   * reloaded from on the next start. Default: none, everything is in memory.
   */
  dataDir?: string;
  /** Coalesce state writes to at most one per this many ms (default 200). */
  saveDebounceMs?: number;
  /** Reuse IAM decisions until a role or policy changes (default true; false for benchmarks). */
  cacheIamDecisions?: boolean;
  /** Default: one vendor, one updater and three customer accounts with deterministic keys. */
  accounts?: Array<{ accountId: string; role: AccountRole; accessKeyId?: string; secretAccessKey?: string }>;
  /** How long stack `*_IN_PROGRESS` phases last on the sandbox clock. */
  phaseDurations?: PhaseDurations;
  /** Answers custom resources. Default: run the stack's inline Node.js Lambda (`Code.ZipFile`). */
  onCustomResource?: CustomResourceHook;
  /** Fetches a `TemplateURL` (default: HTTP GET; S3 URLs need a resolver when offline). */
  fetchTemplate?: (url: string) => Promise<string>;
  /** Verify every SigV4 signature with the issued secret (default true). */
  verifySignatures?: boolean;
  /** How often the real clock's loop advances stacks and fires due schedules (default 1 s). */
  firingIntervalMs?: number;
}

export interface Sandbox {
  endpoint: string;
  accounts: SandboxAccount[];
  clock: RealClock | ManualClock;
  targets: TargetRegistry;
  control: SandboxControl;
  engine: CloudFormationEngine;
  roles: InMemoryRoleStore;
  authorizer: Authorizer;
  scheduler: SchedulerService;
  /** The state file when started with `dataDir`. */
  stateFile: string | undefined;
  /** What was reloaded from the state file (undefined: nothing saved yet, or no `dataDir`). */
  restored: RestoredState | undefined;
  /** The inline-Lambda runner behind the default custom-resource hook (compose it into your own). */
  inlineLambdas: InlineLambdaRunner;
  /** `{ endpoint, region, credentials }` for an SDK client acting as the account's administrator. */
  clientConfig(account: SandboxAccount | string, region?: string): SandboxClientConfig;
  stop(): Promise<void>;
}

export interface RestoredState {
  /** Stacks not deleted, by account/Region. */
  stacks: number;
  /** Schedules still to fire. */
  schedules: number;
  roles: number;
  /** The saved clock (manual, or a real clock jumped ahead) resumed at. */
  clockAt?: Date;
}

export interface SandboxClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  let state: StateFile | undefined;
  let saved: SandboxSnapshot | undefined;
  if (options.dataDir) {
    state = new StateFile(options.dataDir, () => snapshot(), options.saveDebounceMs);
    saved = await state.load();
  }
  const clock = makeClock(options, saved);
  const accounts = new AccountRegistry(
    options.accounts
      ? options.accounts.map((a) => ({ ...accountWithKeys(a.accountId, a.role), ...dropUndefined(a) }))
      : defaultAccounts(),
  );
  const roles = new InMemoryRoleStore();
  const sessions = new SessionStore();
  const authorizer = new Authorizer(roles, clock, { cacheDecisions: options.cacheIamDecisions ?? true });
  const faults = new TransportFaults();
  const targets = new TargetRegistry();
  const scheduler = new SchedulerService(clock);
  const firing = new ScheduleFiring(scheduler, targets, clock);
  const changed = () => state?.markDirty();

  let endpoint = "";
  const inlineLambdas = new InlineLambdaRunner(() => endpoint);
  const engine = new CloudFormationEngine({
    roleStore: roles,
    clock,
    phaseDurations: options.phaseDurations,
    onCustomResource: options.onCustomResource ?? inlineLambdas.hook,
    fetchTemplate: options.fetchTemplate ?? fetchText,
  });
  const snapshot = (): SandboxSnapshot => ({
    format: 1,
    ...(options.clock === "manual" && { clock: clock.now() }),
    ...(clock instanceof RealClock && clock.aheadMs() > 0 && { clockAheadMs: clock.aheadMs() }),
    cloudformation: engine.save(),
    iam: roles.save(),
    scheduler: scheduler.save(),
  });
  if (saved) restore(saved, { engine, roles, scheduler });
  const control = new SandboxControl({ clock, accounts, roles, targets, firing, faults, engine, scheduler, changed });
  const server: Server = createSandboxServer({
    accounts,
    sessions,
    clock,
    faults,
    verifySignatures: options.verifySignatures ?? true,
    services: {
      sts: new StsEndpoint(new AssumeRoleService(roles, authorizer, sessions, clock)),
      cloudformation: new CloudFormationEndpoint(engine, authorizer),
      scheduler: new SchedulerEndpoint(scheduler, authorizer),
    },
    afterCall: changed,
    control: async (method, path, body) => {
      const answer = /^\/_sandbox\/custom-resource\/([\w-]+)$/.exec(path);
      try {
        if (answer && method === "PUT")
          return { accepted: inlineLambdas.receive(answer[1]!, body as CloudFormationAnswer) };
        return await controlRoute(control, method, path, body);
      } finally {
        changed();
      }
    },
  });
  endpoint = await listen(server, options.port ?? 4599, options.host ?? "127.0.0.1");
  // On the real clock, stacks progress and schedules fire on their own, as in AWS.
  const loop =
    clock instanceof RealClock ? startLoop(() => control.fireDue(), options.firingIntervalMs ?? 1000) : undefined;

  const clientConfig = (account: SandboxAccount | string, region = "us-east-1"): SandboxClientConfig => {
    const found = typeof account === "string" ? accounts.get(account) : account;
    return {
      endpoint,
      region,
      credentials: { accessKeyId: found.accessKeyId, secretAccessKey: found.secretAccessKey },
    };
  };

  return {
    endpoint,
    accounts: accounts.list(),
    clock,
    targets,
    control,
    engine,
    roles,
    authorizer,
    scheduler,
    inlineLambdas,
    clientConfig,
    stateFile: state?.path,
    restored: saved && restoredSummary(saved, clock),
    async stop() {
      await loop?.stop();
      control.detach();
      await firing.idle();
      // Let due stack work finish so the saved state has no operation cut in half.
      await engine.tick();
      await state?.flush();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function makeClock(options: SandboxOptions, saved: SandboxSnapshot | undefined): ManualClock | RealClock {
  if (options.clock instanceof ManualClock || options.clock instanceof RealClock) return options.clock;
  if (options.clock !== "manual") {
    const real = new RealClock();
    // Resume past a jump, or past where a manual clock stopped: time never goes back for saved schedules.
    real.advance(Math.max(saved?.clockAheadMs ?? 0, (saved?.clock?.getTime() ?? 0) - Date.now()));
    return real;
  }
  // A restarted manual clock resumes where it stopped: time never goes back for saved schedules.
  const start =
    options.startTime ?? new Date(Math.max(Date.now() + (saved?.clockAheadMs ?? 0), saved?.clock?.getTime() ?? 0));
  return new ManualClock(start);
}

function restore(
  saved: SandboxSnapshot,
  to: { engine: CloudFormationEngine; roles: InMemoryRoleStore; scheduler: SchedulerService },
): void {
  to.roles.restore(saved.iam as { roles: IamRole[]; policies: ManagedPolicy[] });
  to.engine.restore(saved.cloudformation as SavedRegion[]);
  to.scheduler.restore(saved.scheduler as { schedules: Schedule[]; groups: ScheduleGroup[] });
}

function restoredSummary(saved: SandboxSnapshot, clock: ManualClock | RealClock): RestoredState {
  const regions = saved.cloudformation as SavedRegion[];
  const { schedules } = saved.scheduler as { schedules: Schedule[] };
  return {
    stacks: regions.flatMap((r) => r.stacks).filter((stack) => stack.status !== "DELETE_COMPLETE").length,
    schedules: schedules.filter((schedule) => schedule.nextFireAt !== undefined).length,
    roles: (saved.iam as { roles: unknown[] }).roles.length,
    ...((saved.clock || saved.clockAheadMs) && { clockAt: clock.now() }),
  };
}

async function fetchText(url: string): Promise<string> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.text();
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
