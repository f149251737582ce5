import { ManualClock, type RealClock } from "./clock";
import { type ParameterChange, type StackParametersResult, updateStackParameters } from "./console";
import { type IamRole, type PolicyDocument, SandboxError } from "./contract";
import type { AccountRegistry, SandboxAccount } from "./iam/accounts";
import type { InMemoryRoleStore } from "./iam/role-store";
import type { ScheduleFiring } from "./scheduler/firing";
import type { DeadLetter, Delivery, TargetRegistry } from "./scheduler/targets";
import type { TransportFaults } from "./server/faults";
import { awsId } from "./sts/sessions";

/** A role as the infrastructure outside any sandbox stack would create it (e.g. SST's executor role). */
export interface RoleSeed {
  accountId: string;
  roleName: string;
  trustPolicy: PolicyDocument;
  inlinePolicies?: Record<string, PolicyDocument>;
  managedPolicyArns?: string[];
  permissionsBoundaryArn?: string;
  maxSessionDuration?: number;
}

/** The engine's fault switch, as the control API uses it. */
export interface StackEngineControl {
  failNextUpdate(
    accountId: string,
    stackName: string,
    fault: { reason: string; rollbackFails?: boolean; region?: string },
  ): void;
  /** Runs every stack operation step that is due on the clock. */
  tick(): Promise<void>;
  /** When the next stack phase wants to end. */
  nextWake(): Date | undefined;
}

/** More steps than this in one advance means a schedule re-arms itself endlessly: jump to the end. */
const MAX_STEPS = 100_000;

/**
 * What tests and the `/_sandbox/` API may do to the simulated world that AWS callers cannot:
 * move time, inject faults, delete a role out of band, read what targets received.
 */
export class SandboxControl {
  constructor(
    private readonly deps: {
      clock: ManualClock | RealClock;
      accounts: AccountRegistry;
      roles: InMemoryRoleStore;
      targets: TargetRegistry;
      firing: ScheduleFiring;
      faults: TransportFaults;
      engine: StackEngineControl & Parameters<typeof updateStackParameters>[0];
      scheduler: { nextDueAfter(after: Date): Date | undefined };
      /** Told after anything that may have changed saved state. */
      changed?: () => void;
    },
  ) {
    // Someone else moved a shared manual clock (the local runtime's API, a test): fire what is due.
    const clock = deps.clock;
    this.unsubscribe =
      clock instanceof ManualClock
        ? clock.onAdvance(() => {
            if (this.stepping) return;
            this.fireDue().catch((error: unknown) =>
              console.error("[sandbox] firing after a clock move failed", error),
            );
          })
        : undefined;
  }

  private stepping = false;
  private readonly unsubscribe: (() => void) | undefined;

  /** Stops listening to a shared clock (the sandbox is stopping). */
  detach(): void {
    this.unsubscribe?.();
  }

  accounts(): SandboxAccount[] {
    return this.deps.accounts.list();
  }

  now(): Date {
    return this.deps.clock.now();
  }

  /**
   * Moves the clock forward in steps, stopping at every time a schedule or a stack phase is due, so
   * schedules fire in order and each delivery sees the clock at its own scheduled time (a retry
   * scheduled by a target inside the window fires too). A real clock jumps the same way and keeps
   * running from where it lands.
   */
  async advanceClock(ms: number): Promise<Delivery[]> {
    const clock = this.deps.clock;
    if (!(ms >= 0)) throw new SandboxError("invalid_request", "the sandbox clock never goes back", 400);
    const target = clock.now().getTime() + ms;
    const fired: Delivery[] = [];
    this.stepping = true;
    try {
      for (let step = 0; ; step++) {
        // Never backwards: a schedule already overdue (its `at()` is truncated to the second) fires
        // now, and code sharing this clock (a watcher that sleeps on it) may have moved past `target`.
        const now = clock.now().getTime();
        const next = Math.max(now, step < MAX_STEPS ? Math.min(target, this.nextWake(clock.now())) : target);
        clock.set(new Date(next));
        fired.push(...(await this.fireDue()));
        // What those deliveries started (an ExecuteChangeSet, say) gets going now, as it would in
        // AWS, not only at the next step, which may be minutes later.
        await this.deps.engine.tick();
        if (next >= target) return fired;
      }
    } finally {
      this.stepping = false;
    }
  }

  private nextWake(now: Date): number {
    const candidates = [this.deps.scheduler.nextDueAfter(now), this.deps.engine.nextWake()]
      .map((at) => at?.getTime() ?? Number.POSITIVE_INFINITY)
      .filter((at) => at > now.getTime());
    return Math.min(...candidates);
  }

  clockKind(): "real" | "manual" {
    return this.deps.clock instanceof ManualClock ? "manual" : "real";
  }

  /** What a customer does in the CloudFormation console: change parameters, keep the rest. */
  async setStackParameters(change: ParameterChange): Promise<StackParametersResult> {
    if (!this.deps.accounts.list().some((a) => a.accountId === change.accountId)) {
      throw new SandboxError("NoSuchEntity", `The sandbox has no account ${change.accountId}.`, 404);
    }
    return updateStackParameters(this.deps.engine, change);
  }

  /** Lets stack operations catch up with the clock, then fires due schedules. */
  async fireDue(): Promise<Delivery[]> {
    try {
      await this.deps.engine.tick();
      return await this.deps.firing.fireDue();
    } finally {
      this.deps.changed?.();
    }
  }

  /** The next `count` calls (to `service`, or to any) fail with `Throttling: Rate exceeded`. */
  throttleNext(count: number, service?: "sts" | "cloudformation" | "scheduler"): void {
    this.deps.faults.throttleNext(count, service);
  }

  delayNext(ms: number, count = 1, service?: "sts" | "cloudformation" | "scheduler"): void {
    this.deps.faults.delayNext(ms, count, service);
  }

  deliverTwice(count = 1): void {
    this.deps.firing.deliverTwice(count);
  }

  /** The stack's next update fails (and rolls back, or with `rollbackFails` ends UPDATE_ROLLBACK_FAILED). */
  failNextUpdate(
    accountId: string,
    stackName: string,
    options: { reason?: string; region?: string; rollbackFails?: boolean } = {},
  ): void {
    this.deps.engine.failNextUpdate(accountId, stackName, {
      reason: options.reason ?? "Resource update failed (injected by the sandbox)",
      ...(options.region !== undefined && { region: options.region }),
      ...(options.rollbackFails !== undefined && { rollbackFails: options.rollbackFails }),
    });
  }

  /** Deletes a role behind its stack's back: AssumeRole and the role's live sessions fail from now on. */
  deleteRole(roleArn: string): void {
    const role = this.deps.roles.getRole(roleArn);
    if (!role) throw new SandboxError("NoSuchEntity", `The role ${roleArn} does not exist.`, 404);
    this.deps.roles.deleteRole(role.accountId, role.roleName);
  }

  /**
   * Creates (or replaces) a role that no sandbox stack owns — what `sst deploy` would have made,
   * like the updater stage's executor role that customer trust policies name.
   */
  putRole(seed: RoleSeed): IamRole {
    if (!this.deps.accounts.list().some((a) => a.accountId === seed.accountId)) {
      throw new SandboxError("NoSuchEntity", `The sandbox has no account ${seed.accountId}.`, 404);
    }
    if (!/^[\w+=,.@-]{1,64}$/.test(seed.roleName))
      throw new SandboxError("ValidationError", `Invalid role name ${seed.roleName}.`, 400);
    const role: IamRole = {
      accountId: seed.accountId,
      roleName: seed.roleName,
      path: "/",
      arn: `arn:aws:iam::${seed.accountId}:role/${seed.roleName}`,
      roleId: awsId("AROA", 17),
      assumeRolePolicyDocument: seed.trustPolicy,
      inlinePolicies: seed.inlinePolicies ?? {},
      managedPolicyArns: seed.managedPolicyArns ?? [],
      maxSessionDuration: seed.maxSessionDuration ?? 3600,
      ...(seed.permissionsBoundaryArn && { permissionsBoundaryArn: seed.permissionsBoundaryArn }),
    };
    this.deps.roles.putRole(role);
    return role;
  }

  roles(accountId?: string) {
    return this.deps.roles.listRoles(accountId);
  }

  deliveries(): Delivery[] {
    return this.deps.targets.deliveries();
  }

  deadLetters(): DeadLetter[] {
    return this.deps.targets.deadLetters();
  }
}
