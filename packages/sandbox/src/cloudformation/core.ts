import type { Capability, OnFailure, StackStatus, Tag } from "@aws-sdk/client-cloudformation";
import type { PolicyDocument, RoleStore, SandboxClock } from "../contract";
import { validationError } from "./errors";
import { type StackIdentity, templateConditions } from "./evaluation";
import { setStackStatus } from "./events";
import { generatedToken, isStackArn } from "./ids";
import type { Plan } from "./plan";
import { RoleDirectory } from "./resources";
import { runCreate } from "./run-create";
import { runDelete } from "./run-delete";
import { runUpdate, type Snapshot } from "./run-update";
import type { Runtime } from "./runtime";
import type { Target } from "./steps";
import type { FetchTemplate } from "./template";
import { Timeline } from "./timeline";
import { TokenRegistry } from "./tokens";
import type {
  CustomResourceHook,
  FaultInjection,
  LoadedTemplate,
  Operation,
  PhaseDurations,
  StackRecord,
} from "./types";

export interface CloudFormationEngineOptions {
  clock: SandboxClock;
  roleStore: RoleStore;
  /** Reads a `TemplateURL` (the server passes one that fetches from the sandbox's S3 stand-in or the network). */
  fetchTemplate?: FetchTemplate;
  /** Answers custom resources; without it every request succeeds. */
  onCustomResource?: CustomResourceHook;
  phaseDurations?: PhaseDurations;
}

/** Stacks, names and tokens of one account in one Region. */
export class RegionState {
  readonly stacks = new Map<string, StackRecord>();
  /** Stack name → id of the newest stack with that name. */
  readonly names = new Map<string, string>();
  readonly tokens = new TokenRegistry();
}

const UPDATABLE: StackStatus[] = [
  "CREATE_COMPLETE",
  "UPDATE_COMPLETE",
  "UPDATE_ROLLBACK_COMPLETE",
  "IMPORT_COMPLETE",
  "IMPORT_ROLLBACK_COMPLETE",
];

export interface UpdateSettings {
  template: LoadedTemplate;
  parameters: Record<string, string>;
  capabilities: Capability[];
  roleArn?: string;
  tags: Tag[];
}

/** The engine's state and the machinery its API operations share. */
export class EngineCore {
  readonly timeline: Timeline;
  readonly roles: RoleDirectory;
  readonly runtime: Runtime;
  durations: PhaseDurations;
  private readonly regions = new Map<string, RegionState>();
  private readonly faults = new Map<string, FaultInjection & { region?: string }>();

  constructor(readonly options: CloudFormationEngineOptions) {
    this.timeline = new Timeline(options.clock);
    this.roles = new RoleDirectory(options.roleStore);
    this.durations = options.phaseDurations ?? {};
    const hook: CustomResourceHook = options.onCustomResource ?? (async () => ({ status: "SUCCESS" }));
    this.runtime = {
      timeline: this.timeline,
      durations: () => this.durations,
      roles: this.roles,
      invokeCustomResource: (request) => this.timeline.track(hook(request)),
      findResourceByArn: (accountId, region, arn) => this.findResourceByArn(accountId, region, arn),
    };
  }

  region(accountId: string, region: string): RegionState {
    const key = `${accountId}/${region}`;
    let state = this.regions.get(key);
    if (!state) this.regions.set(key, (state = new RegionState()));
    return state;
  }

  /** Every account/Region with state, as `[accountId/region, state]`. */
  allRegions(): Array<[string, RegionState]> {
    return [...this.regions];
  }

  regionsOf(accountId: string, stackName: string): string[] {
    return [...this.regions]
      .filter(([key, state]) => key.startsWith(`${accountId}/`) && this.findStack(state, stackName))
      .map(([key]) => key.slice(accountId.length + 1));
  }

  /** A stack by name (live stacks only) or by stack id (deleted ones too, as CloudFormation keeps them describable). */
  findStack(state: RegionState, nameOrId: string | undefined): StackRecord | undefined {
    if (!nameOrId) return undefined;
    if (isStackArn(nameOrId)) return state.stacks.get(nameOrId);
    const stack = state.stacks.get(state.names.get(nameOrId) ?? "");
    return stack && stack.status !== "DELETE_COMPLETE" ? stack : undefined;
  }

  /** The updatable-status rule UpdateStack, CreateChangeSet and ExecuteChangeSet share. */
  assertUpdatable(stack: StackRecord): void {
    if (!UPDATABLE.includes(stack.status)) {
      throw validationError(`Stack:${stack.stackId} is in ${stack.status} state and can not be updated.`);
    }
  }

  /** CloudFormation must be able to assume a service role: it exists and trusts cloudformation.amazonaws.com. */
  checkServiceRole(roleArn: string | undefined): void {
    if (roleArn === undefined) return;
    const role = this.roles.byArn(roleArn);
    if (!role || !trustsCloudFormation(role.assumeRolePolicyDocument)) {
      throw validationError(`Role ${roleArn} is invalid or cannot be assumed`);
    }
  }

  failNextUpdate(accountId: string, stackName: string, fault: FaultInjection & { region?: string }): void {
    this.faults.set(`${accountId}/${stackName}`, fault);
  }

  takeFault(stack: StackRecord): FaultInjection | undefined {
    const key = `${stack.accountId}/${stack.stackName}`;
    const fault = this.faults.get(key);
    if (!fault || (fault.region !== undefined && fault.region !== stack.region)) return undefined;
    this.faults.delete(key);
    return fault;
  }

  operation(
    kind: Operation["kind"],
    token: string | undefined,
    caller: Operation["caller"],
    operationName: string,
  ): Operation {
    return { kind, token: token ?? generatedToken(operationName), ...(caller && { caller }) };
  }

  newStack(
    accountId: string,
    region: string,
    stackId: string,
    stackName: string,
    settings: Partial<UpdateSettings> & {
      onFailure?: OnFailure;
      notificationArns?: string[];
      timeoutInMinutes?: number;
    },
  ): StackRecord {
    const stack: StackRecord = {
      stackId,
      stackName,
      accountId,
      region,
      status: "REVIEW_IN_PROGRESS",
      creationTime: this.timeline.now(),
      parameters: settings.parameters ?? {},
      capabilities: settings.capabilities ?? [],
      tags: settings.tags ?? [],
      notificationArns: settings.notificationArns ?? [],
      outputs: [],
      resources: new Map(),
      events: [],
      changeSets: new Map(),
      onFailure: settings.onFailure ?? "ROLLBACK",
    };
    if (settings.template) stack.template = settings.template;
    if (settings.roleArn) stack.roleArn = settings.roleArn;
    if (settings.timeoutInMinutes !== undefined) stack.timeoutInMinutes = settings.timeoutInMinutes;
    const state = this.region(accountId, region);
    state.stacks.set(stackId, stack);
    state.names.set(stackName, stackId);
    return stack;
  }

  startCreate(stack: StackRecord, op: Operation, plan: Plan, onDone?: (ok: boolean) => void): void {
    const target: Target = {
      template: stack.template!.parsed,
      parameters: stack.parameters,
      conditions: plan.conditions,
      dependencies: plan.dependencies,
    };
    this.guard(stack, op, "ROLLBACK_FAILED", runCreate(this.runtime, stack, op, target, plan.order), onDone);
  }

  startUpdate(
    stack: StackRecord,
    op: Operation,
    plan: Plan,
    settings: UpdateSettings,
    onDone?: (ok: boolean) => void,
  ): void {
    const previousTemplate = stack.template!;
    const previous: Snapshot = {
      template: previousTemplate,
      parameters: stack.parameters,
      outputs: stack.outputs,
      target: {
        template: previousTemplate.parsed,
        parameters: stack.parameters,
        conditions: templateConditions(identity(stack), previousTemplate.parsed, stack.parameters),
        dependencies: new Map([...stack.resources.values()].map((r) => [r.logicalId, r.dependsOn])),
      },
    };
    stack.template = settings.template;
    stack.parameters = settings.parameters;
    stack.capabilities = settings.capabilities;
    stack.tags = settings.tags;
    if (settings.roleArn) stack.roleArn = settings.roleArn;
    stack.lastUpdatedTime = this.timeline.now();
    for (const cs of stack.changeSets.values()) {
      if (cs.executionStatus === "AVAILABLE" || cs.executionStatus === "UNAVAILABLE") cs.executionStatus = "OBSOLETE";
    }
    const target: Target = {
      template: settings.template.parsed,
      parameters: settings.parameters,
      conditions: plan.conditions,
      dependencies: plan.dependencies,
    };
    this.guard(stack, op, "UPDATE_ROLLBACK_FAILED", runUpdate(this.runtime, stack, op, plan, target, previous), onDone);
  }

  startDelete(stack: StackRecord, op: Operation, retain: string[]): void {
    this.guard(
      stack,
      op,
      "DELETE_FAILED",
      runDelete(this.runtime, stack, op, retain).then(() => undefined),
    );
  }

  // A bug in a runner must not leave a stack in progress forever nor crash the sandbox.
  private guard(
    stack: StackRecord,
    op: Operation,
    failedStatus: StackStatus,
    run: Promise<boolean | undefined>,
    onDone?: (ok: boolean) => void,
  ): void {
    run.then(
      (ok) => onDone?.(ok !== false),
      (e: unknown) => {
        setStackStatus(stack, op, failedStatus, this.timeline.now(), `Internal sandbox error: ${(e as Error).message}`);
        onDone?.(false);
      },
    );
  }

  private findResourceByArn(accountId: string, region: string, arn: string) {
    for (const stack of this.region(accountId, region).stacks.values()) {
      for (const resource of stack.resources.values()) {
        if (resource.attributes.Arn === arn || resource.physicalId === arn) {
          return {
            stackId: stack.stackId,
            logicalResourceId: resource.logicalId,
            resourceType: resource.type,
            physicalResourceId: resource.physicalId,
            properties: resource.properties,
          };
        }
      }
    }
    return undefined;
  }
}

export const identity = (stack: StackRecord): StackIdentity => stack;

function trustsCloudFormation(document: PolicyDocument): boolean {
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  return statements.some((statement) => {
    const actions = [statement.Action].flat().map(String);
    const principal = statement.Principal as { Service?: unknown } | string | undefined;
    const services =
      typeof principal === "object" && principal
        ? [principal.Service].flat().map(String)
        : principal === "*"
          ? ["*"]
          : [];
    return (
      statement.Effect === "Allow" &&
      actions.some((a) => a === "sts:AssumeRole" || a === "sts:*" || a === "*") &&
      services.some((s) => s === "cloudformation.amazonaws.com" || s === "*")
    );
  });
}
