import { ManualClock } from "./clock";
import { type IamRole, type PolicyDocument, type SandboxClock, SandboxError } from "./contract";
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
}

/**
 * What tests and the `/_sandbox/` API may do to the simulated world that AWS callers cannot:
 * move time, inject faults, delete a role out of band, read what targets received.
 */
export class SandboxControl {
  constructor(
    private readonly deps: {
      clock: SandboxClock;
      accounts: AccountRegistry;
      roles: InMemoryRoleStore;
      targets: TargetRegistry;
      firing: ScheduleFiring;
      faults: TransportFaults;
      engine: StackEngineControl;
    },
  ) {}

  accounts(): SandboxAccount[] {
    return this.deps.accounts.list();
  }

  now(): Date {
    return this.deps.clock.now();
  }

  /** Moves a manual clock forward, then fires every schedule that became due. */
  async advanceClock(ms: number): Promise<Delivery[]> {
    const clock = this.deps.clock;
    if (!(clock instanceof ManualClock)) {
      throw new SandboxError(
        "invalid_request",
        'The sandbox runs on the real clock; start it with clock: "manual".',
        400,
      );
    }
    clock.advance(ms);
    return this.fireDue();
  }

  /** Lets stack operations catch up with the clock, then fires due schedules. */
  async fireDue(): Promise<Delivery[]> {
    await this.deps.engine.tick();
    return this.deps.firing.fireDue();
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

/** `/_sandbox/…` JSON routes over the same control (undefined → 404). */
// biome-ignore lint/suspicious/noExplicitAny: each route validates its own JSON body shape
export async function controlRoute(control: SandboxControl, method: string, path: string, body: any): Promise<unknown> {
  const route = `${method} ${path.replace(/\/$/, "")}`;
  switch (route) {
    case "GET /_sandbox/accounts":
      return { accounts: control.accounts() };
    case "GET /_sandbox/clock":
      return { now: control.now().toISOString() };
    case "POST /_sandbox/clock/advance": {
      const deliveries = await control.advanceClock(number(body.ms, "ms"));
      return { now: control.now().toISOString(), deliveries };
    }
    case "POST /_sandbox/schedules/fire-due":
      return { deliveries: await control.fireDue() };
    case "POST /_sandbox/faults/throttle":
      control.throttleNext(number(body.count, "count"), body.service);
      return { ok: true };
    case "POST /_sandbox/faults/delay":
      control.delayNext(number(body.ms, "ms"), body.count ?? 1, body.service);
      return { ok: true };
    case "POST /_sandbox/faults/deliver-twice":
      control.deliverTwice(body.count ?? 1);
      return { ok: true };
    case "POST /_sandbox/faults/fail-next-update":
      control.failNextUpdate(string(body.accountId, "accountId"), string(body.stackName, "stackName"), {
        reason: body.reason,
        region: body.region,
        rollbackFails: body.rollbackFails,
      });
      return { ok: true };
    case "POST /_sandbox/roles/delete":
      control.deleteRole(string(body.roleArn, "roleArn"));
      return { ok: true };
    case "POST /_sandbox/roles": {
      if (typeof body.trustPolicy !== "object" || body.trustPolicy === null) {
        throw new SandboxError("invalid_request", "trustPolicy must be a policy document", 400);
      }
      const seed: RoleSeed = {
        ...body,
        accountId: string(body.accountId, "accountId"),
        roleName: string(body.roleName, "roleName"),
      };
      return { role: control.putRole(seed) };
    }
    case "GET /_sandbox/roles":
      return { roles: control.roles() };
    case "GET /_sandbox/deliveries":
      return { deliveries: control.deliveries(), deadLetters: control.deadLetters() };
    default:
      return undefined;
  }
}

function number(value: unknown, name: string): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new SandboxError("invalid_request", `${name} must be a number`, 400);
  return value;
}

function string(value: unknown, name: string): string {
  if (typeof value !== "string" || !value) throw new SandboxError("invalid_request", `${name} must be a string`, 400);
  return value;
}
