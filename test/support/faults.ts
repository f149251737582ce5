import { AsyncLocalStorage } from "node:async_hooks";
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  ThrottlingException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";

/**
 * Fault injection for the AWS SDK clients the code under test uses (DynamoDB, and the
 * CloudFormation and Scheduler clients the executor opens). Middleware at the `initialize` step
 * (or a patched `send`), above the SDK's own retries: an injected fault is what the application
 * sees once the SDK has given up.
 *
 * Every call is recorded in one ordered log shared by all attached clients, so a test can name a
 * point in a run's life ("DynamoDB call 7", "right after ExecuteChangeSet") and act there: fail the
 * call, lose its response after it was applied, or kill the process there. A process is one
 * `run()` (an executor invocation, tracked with AsyncLocalStorage), so two concurrent deliveries
 * are two processes and killing one leaves the other running.
 */

export type FaultKind =
  /** ThrottlingException (400), not applied. */
  | "throttle"
  /** ProvisionedThroughputExceededException (400), not applied. */
  | "provisioned"
  /** InternalServerError (500), not applied. */
  | "internal"
  /** The request timed out before it reached the table: not applied. */
  | "timeout"
  /** The request was applied, then the response was lost (a timeout): the caller cannot tell. */
  | "lost-response"
  /** TransactionCanceledException, TransactionConflict on the first item (transactions only). */
  | "txn-conflict"
  /** TransactionCanceledException, ConditionalCheckFailed on the first item (transactions only). */
  | "txn-condition";

export const FAULT_KINDS: readonly FaultKind[] = [
  "throttle",
  "provisioned",
  "internal",
  "timeout",
  "lost-response",
  "txn-conflict",
  "txn-condition",
];

/** The kinds every AWS service has (throughput and transactions are DynamoDB's own). */
export const AWS_FAULT_KINDS: readonly FaultKind[] = ["throttle", "internal", "timeout", "lost-response"];

export type Service = "dynamodb" | "cloudformation" | "scheduler";

export interface Call {
  /** 1-based position in the shared log. */
  index: number;
  service: Service;
  /** `GetItemCommand`, `TransactWriteItemsCommand`, `ExecuteChangeSetCommand`, … */
  command: string;
  /** Entities and run states an item write names (DynamoDB), for reading a call site. */
  label: string;
  fault?: FaultKind | "killed";
  /** The service's own error, when it refused the call. */
  error?: string;
  /** The call completed, then its process was killed: its caller never saw the answer. */
  killedAfter?: boolean;
}

export interface FaultRule {
  kind: FaultKind;
  /** Which calls the rule counts; default: every DynamoDB call. */
  match?: (call: Call) => boolean;
  /** The n-th matching call (1-based) is the first to fail. */
  from: number;
  /** How many matching calls fail from there: 1 once, k repeatedly, Infinity persistently. */
  times: number;
}

/** Thrown into every call of an invocation once its process was "killed". */
export class ProcessKilled extends Error {
  override name = "ProcessKilled";
}

type Stack = {
  add(middleware: unknown, options: { step: "initialize"; priority: "high"; name: string }): void;
};
type Attachable = { middlewareStack: Stack };
type Handler = (args: { input: Record<string, unknown> }) => Promise<unknown>;
// SDK clients' `send` is overloaded (promise and callback forms): patched through this looser shape.
type AnySend = (command: { input: object }, ...rest: unknown[]) => Promise<unknown>;
type Sendable = { prototype: object };

/** One simulated process (an invocation): once killed, every call it makes fails until it ends. */
interface Process {
  dead: boolean;
  /** What the process was started with (an invocation's input), for checks that need to know whose call it is. */
  name?: string;
}

let attached = 0;

const isTransaction = (call: Call) => call.command === "TransactWriteItemsCommand";

export class Faults {
  readonly calls: Call[] = [];
  private rules: Array<
    Required<Pick<FaultRule, "match">> & FaultRule & { applies: (c: Call) => boolean; seen: number; failed: number }
  > = [];
  private killAt: ((call: Call) => boolean) | undefined;
  private readonly processes = new AsyncLocalStorage<Process>();
  private readonly restores: Array<() => void> = [];
  /** Told after every call that completed (or failed on purpose): tests act "between steps" here. */
  onCall: ((call: Call) => Promise<void> | void) | undefined;
  /**
   * Told before every call a process makes, with the process's name, outside any process (its own
   * reads are neither logged nor faulted): invariants that must hold at the moment a call is made.
   */
  beforeCall: ((call: Call, process: string | undefined) => Promise<void> | void) | undefined;

  /**
   * @param scoped only calls made inside `run()` are logged and faulted (the executor's
   *   invocations, say, while the API shares the same client); otherwise every call is.
   */
  constructor(private readonly scoped = false) {}

  attach(client: Attachable, service: Service): void {
    client.middlewareStack.add(
      (next: Handler, context: { commandName?: string }) => (args: { input: Record<string, unknown> }) =>
        this.intercept(service, context.commandName ?? "unknown", args.input, () => next(args)),
      { step: "initialize", priority: "high", name: `stackfleetFaults_${service}_${++attached}` },
    );
  }

  /**
   * For clients created where a test cannot reach them (per-run CloudFormation clients): every
   * `send` of the class passes through the log while patched; `restore()` undoes it.
   */
  patch(clientClass: Sendable, service: Service): void {
    const prototype = clientClass.prototype as { send: AnySend };
    const original = prototype.send;
    const faults = this;
    prototype.send = function (this: unknown, command: { input: object }, ...rest: unknown[]) {
      return faults.intercept(service, command.constructor.name, command.input as Record<string, unknown>, () =>
        original.call(this, command, ...rest),
      );
    };
    this.restores.push(() => {
      prototype.send = original;
    });
  }

  restore(): void {
    for (const undo of this.restores.splice(0)) undo();
  }

  /** Runs `work` as one process (an invocation): a kill ends it, the next `run` is a new one. */
  run<T>(work: () => Promise<T>, name?: string): Promise<T> {
    return this.processes.run({ dead: false, name }, work);
  }

  inject(rule: FaultRule): void {
    const applies = rule.kind.startsWith("txn-") ? isTransaction : () => true;
    this.rules.push({
      ...rule,
      match: rule.match ?? ((c: Call) => c.service === "dynamodb"),
      applies,
      seen: 0,
      failed: 0,
    });
  }

  /** The process dies right after the first call `when` selects completes: that call and all its later ones fail. */
  killAfter(when: (call: Call) => boolean): void {
    this.killAt = when;
  }

  /** Something armed has not happened yet: a rule that never failed a call, a kill, a step hook. */
  get pending(): boolean {
    return this.rules.some((r) => r.failed === 0) || this.killAt !== undefined || this.onCall !== undefined;
  }

  /** No more faults from now on (the log is kept). */
  clear(): void {
    this.rules = [];
    this.killAt = undefined;
  }

  /** What a test does between two calls happens outside the process (a halt is the operator's, not the executor's). */
  private async between(call: Call) {
    if (this.onCall) await this.processes.exit(() => this.onCall!(call));
  }

  private async intercept(
    service: Service,
    command: string,
    input: Record<string, unknown>,
    next: () => Promise<unknown>,
  ) {
    const process = this.processes.getStore();
    if (this.scoped && !process) return next();
    const call: Call = { index: this.calls.length + 1, service, command, label: labelOf(input) };
    this.calls.push(call);
    if (process && this.beforeCall) await this.processes.exit(() => this.beforeCall!(call, process.name));
    if (process?.dead) {
      call.fault = "killed";
      throw new ProcessKilled(`process killed before ${command}`);
    }
    // Each rule's `from` counts every call it matches; transaction faults then land on transactions only.
    const matching = this.rules.filter((r) => r.match(call));
    for (const r of matching) r.seen++;
    const rule = matching.find((r) => r.seen >= r.from && r.failed < r.times && r.applies(call));
    if (rule) {
      rule.failed++;
      call.fault = rule.kind;
      if (rule.kind === "lost-response") await next();
      await this.between(call);
      throw service === "dynamodb" ? faultError(rule.kind, input) : serviceFault(service, rule.kind);
    }
    const output = await next().catch((e: Error) => {
      call.error = e.name;
      throw e;
    });
    await this.between(call);
    if (process && this.killAt?.(call)) {
      this.killAt = undefined;
      process.dead = true;
      call.killedAfter = true;
      throw new ProcessKilled(`process killed after ${command}`);
    }
    return output;
  }
}

const meta = (httpStatusCode: number) => ({
  $metadata: { httpStatusCode },
  $fault: httpStatusCode >= 500 ? "server" : "client",
});

function faultError(kind: FaultKind, input: Record<string, unknown>): Error {
  switch (kind) {
    case "throttle":
      return new ThrottlingException({
        message: "Rate of requests exceeds the allowed throughput.",
        ...meta(400),
      } as never);
    case "provisioned":
      return new ProvisionedThroughputExceededException({
        message: "The level of configured provisioned throughput for the table was exceeded.",
        ...meta(400),
      } as never);
    case "internal":
      return new InternalServerError({ message: "Internal server error", ...meta(500) } as never);
    case "timeout":
    case "lost-response":
      return Object.assign(new Error("Connection timed out after 3000 ms"), { name: "TimeoutError" });
    case "txn-conflict":
    case "txn-condition": {
      const items = (input.TransactItems as unknown[] | undefined)?.length ?? 1;
      const first = kind === "txn-conflict" ? "TransactionConflict" : "ConditionalCheckFailed";
      return new TransactionCanceledException({
        message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${first}]`,
        CancellationReasons: Array.from({ length: items }, (_, i) => ({ Code: i === 0 ? first : "None" })),
        ...meta(400),
      } as never);
    }
  }
}

/** CloudFormation's and Scheduler's own shapes of the same failures, as their SDK clients surface them. */
function serviceFault(service: Exclude<Service, "dynamodb">, kind: FaultKind): Error {
  const named = (name: string, message: string, status: number) =>
    Object.assign(new Error(message), { name, ...meta(status) });
  switch (kind) {
    case "throttle":
      return service === "cloudformation"
        ? named("Throttling", "Rate exceeded", 400)
        : named("ThrottlingException", "Rate exceeded", 429);
    case "internal":
      return service === "cloudformation"
        ? named("InternalFailure", "An internal error occurred", 500)
        : named("InternalServerException", "Unexpected error", 500);
    default:
      return faultError(kind, {});
  }
}

/**
 * What a call touches, for reading a call site: `run:executing/claimed event @run_…` for a
 * transaction moving that run from claimed to executing with its audit event; the token for
 * CloudFormation; the schedule name for Scheduler.
 */
function labelOf(input: Record<string, unknown>): string {
  const named = input.ClientRequestToken ?? input.ChangeSetName ?? input.Name;
  if (typeof named === "string") return named;
  const text = JSON.stringify(input);
  const entities = [...text.matchAll(/":?__edb_e__\w*"\s*:\s*(?:\{"S":)?"(\w+)"/g)].map((m) => m[1]);
  const states = [...text.matchAll(/":?state[\w]*"\s*:\s*(?:\{"S":)?"(\w+)"/g)].map((m) => m[1]);
  const parts = [...new Set(entities)].map((e) => (e === "run" && states.length ? `run:${states.join("/")}` : e));
  const runId = /"runId"\s*:\s*(?:\{"S":)?"(run_\w+)"/.exec(text)?.[1];
  return [...parts, ...(runId ? [`@${runId}`] : [])].join(" ");
}
