import type {
  CreateChangeSetInput,
  CreateChangeSetOutput,
  CreateStackInput,
  CreateStackOutput,
  DeleteChangeSetInput,
  DeleteChangeSetOutput,
  DeleteStackInput,
  DescribeChangeSetInput,
  DescribeChangeSetOutput,
  DescribeStackEventsInput,
  DescribeStackEventsOutput,
  DescribeStackResourcesInput,
  DescribeStackResourcesOutput,
  DescribeStacksInput,
  DescribeStacksOutput,
  ExecuteChangeSetInput,
  ExecuteChangeSetOutput,
  GetTemplateInput,
  GetTemplateOutput,
  UpdateStackInput,
  UpdateStackOutput,
} from "@aws-sdk/client-cloudformation";
import type { Principal } from "../contract";
import * as ChangeSets from "./change-sets";
import { type CloudFormationEngineOptions, EngineCore, identity } from "./core";
import { describeResource, describeStack, eventsPage } from "./describe";
import { alreadyExists, validationError } from "./errors";
import { stackArn } from "./ids";
import { evaluateOutputs } from "./outputs";
import { resolveParameters } from "./parameters";
import { planUpdate, same } from "./plan";
import { restoreRegions, type SavedRegion, saveRegions } from "./snapshot";
import { checkCapabilities, loadTemplate } from "./template";
import type { FaultInjection, PhaseDurations } from "./types";

const STACK_NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;

/**
 * The sandbox's CloudFormation: stacks of every account and Region in memory, methods mirroring the
 * API operations with the SDK's input/output shapes. The server has already authenticated and
 * authorised the caller; `caller` only matters for what CloudFormation does with the caller's
 * credentials (a stack without a service role acts with them, and they expire).
 *
 * Operations advance on the injected clock, lazily: every call (and `tick()`) first runs whatever
 * is due, so a stack is never complete in the response that started the operation.
 */
export class CloudFormationEngine {
  private readonly core: EngineCore;

  constructor(options: CloudFormationEngineOptions) {
    this.core = new EngineCore(options);
  }

  /** Runs everything due at the clock's current time, waiting for custom resource handlers. */
  async tick(): Promise<void> {
    await this.core.timeline.settle({ waitForWork: true });
  }

  /** When the next `*_IN_PROGRESS` phase wants to end on the clock (a manual clock steps to it). */
  readonly nextWake = (): Date | undefined => this.core.timeline.nextWake();
  /** Every stack, change set and client token, to persist; `restore` puts them back after a restart. */
  readonly save = (): SavedRegion[] => saveRegions(this.core);
  readonly restore = (saved: SavedRegion[]): void => restoreRegions(this.core, saved);
  /** Regions of the account where a live stack of that name exists. */
  readonly regionsOf = (accountId: string, stackName: string): string[] => this.core.regionsOf(accountId, stackName);

  setPhaseDurations(durations: PhaseDurations): void {
    this.core.durations = durations;
  }

  /** The next update of that stack (UpdateStack or ExecuteChangeSet) fails its first resource step. */
  failNextUpdate(accountId: string, stackName: string, fault: FaultInjection & { region?: string }): void {
    this.core.failNextUpdate(accountId, stackName, fault);
  }

  async createStack(
    accountId: string,
    region: string,
    input: CreateStackInput,
    caller?: Principal,
  ): Promise<CreateStackOutput> {
    await this.core.timeline.settle();
    const state = this.core.region(accountId, region);
    const name = input.StackName ?? "";
    const replay = state.tokens.replay<CreateStackOutput>(input.ClientRequestToken, "CreateStack", input);
    if (replay) return replay;
    if (!STACK_NAME.test(name)) {
      throw validationError(
        `1 validation error detected: Value '${name}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
      );
    }
    if (this.core.findStack(state, name)) throw alreadyExists(`Stack [${name}] already exists`);
    const template = await loadTemplate(input, this.core.options.fetchTemplate);
    checkCapabilities(template.parsed, input.Capabilities);
    const parameters = resolveParameters(template.parsed, input.Parameters);
    this.core.checkServiceRole(input.RoleARN);
    const stackId = stackArn(region, accountId, name);
    const notificationArns = input.NotificationARNs ?? [];
    const plan = planUpdate(
      { accountId, region, stackId, stackName: name, notificationArns },
      { resources: new Map(), parameters: {} },
      template.parsed,
      parameters,
    );
    const onFailure = input.OnFailure ?? (input.DisableRollback ? "DO_NOTHING" : "ROLLBACK");
    const stack = this.core.newStack(accountId, region, stackId, name, {
      template,
      parameters,
      capabilities: input.Capabilities ?? [],
      tags: input.Tags ?? [],
      notificationArns,
      onFailure,
      ...(input.RoleARN && { roleArn: input.RoleARN }),
      ...(input.TimeoutInMinutes !== undefined && { timeoutInMinutes: input.TimeoutInMinutes }),
    });
    this.core.startCreate(stack, this.core.operation("CREATE", input.ClientRequestToken, caller, "CreateStack"), plan);
    const output = { StackId: stackId };
    state.tokens.record(input.ClientRequestToken, "CreateStack", input, output);
    return output;
  }

  async updateStack(
    accountId: string,
    region: string,
    input: UpdateStackInput,
    caller?: Principal,
  ): Promise<UpdateStackOutput> {
    await this.core.timeline.settle();
    const state = this.core.region(accountId, region);
    const replay = state.tokens.replay<UpdateStackOutput>(input.ClientRequestToken, "UpdateStack", input);
    if (replay) return replay;
    const stack = this.core.findStack(state, input.StackName);
    if (!stack || stack.status === "DELETE_COMPLETE")
      throw validationError(`Stack [${input.StackName}] does not exist`);
    this.core.assertUpdatable(stack);
    const template = await ChangeSets.templateFor(this.core, stack, input);
    checkCapabilities(template.parsed, input.Capabilities);
    const parameters = resolveParameters(template.parsed, input.Parameters, stack.parameters);
    const roleArn = input.RoleARN ?? stack.roleArn;
    this.core.checkServiceRole(roleArn);
    const tags = input.Tags ?? stack.tags;
    const plan = planUpdate(identity(stack), stack, template.parsed, parameters);
    const outputs = evaluateOutputs(identity(stack), template.parsed, parameters, plan.conditions, (id) =>
      plan.actions.has(id) ? "pending" : stack.resources.get(id),
    );
    const unchanged =
      plan.changes.length === 0 &&
      same(parameters, stack.parameters) &&
      same(outputs, stack.outputs) &&
      same(tags, stack.tags) &&
      roleArn === stack.roleArn &&
      template.parsed.Description === stack.template?.parsed.Description;
    if (unchanged) throw validationError("No updates are to be performed.");
    const op = this.core.operation("UPDATE", input.ClientRequestToken, caller, "UpdateStack");
    const fault = this.core.takeFault(stack);
    if (fault) op.fault = fault;
    this.core.startUpdate(stack, op, plan, {
      template,
      parameters,
      capabilities: input.Capabilities ?? [],
      tags,
      ...(roleArn && { roleArn }),
    });
    const output = { StackId: stack.stackId };
    state.tokens.record(input.ClientRequestToken, "UpdateStack", input, output);
    return output;
  }

  async deleteStack(
    accountId: string,
    region: string,
    input: DeleteStackInput,
    caller?: Principal,
  ): Promise<Record<string, never>> {
    await this.core.timeline.settle();
    const state = this.core.region(accountId, region);
    const replay = state.tokens.replay<Record<string, never>>(input.ClientRequestToken, "DeleteStack", input);
    if (replay) return replay;
    const stack = this.core.findStack(state, input.StackName);
    // Deleting a stack that does not exist (or is already gone) succeeds.
    if (!stack || stack.status === "DELETE_COMPLETE" || stack.status === "DELETE_IN_PROGRESS") return {};
    if (stack.status.endsWith("_IN_PROGRESS") && stack.status !== "REVIEW_IN_PROGRESS") {
      throw validationError(`Stack [${stack.stackName}] cannot be deleted while in status ${stack.status}`);
    }
    const retain = input.RetainResources ?? [];
    if (retain.length > 0 && stack.status !== "DELETE_FAILED") {
      throw validationError(
        `Invalid operation on stack [${stack.stackId}]. RetainResources can only be specified when stack is in DELETE_FAILED state`,
      );
    }
    if (input.RoleARN) {
      this.core.checkServiceRole(input.RoleARN);
      stack.roleArn = input.RoleARN;
    }
    this.core.startDelete(
      stack,
      this.core.operation("DELETE", input.ClientRequestToken, caller, "DeleteStack"),
      retain,
    );
    state.tokens.record(input.ClientRequestToken, "DeleteStack", input, {});
    return {};
  }

  async describeStacks(
    accountId: string,
    region: string,
    input: DescribeStacksInput = {},
  ): Promise<DescribeStacksOutput> {
    await this.core.timeline.settle();
    const state = this.core.region(accountId, region);
    if (input.StackName) {
      const stack = this.core.findStack(state, input.StackName);
      if (!stack) throw validationError(`Stack with id ${input.StackName} does not exist`);
      return { Stacks: [describeStack(stack)] };
    }
    const live = [...state.stacks.values()].filter((s) => s.status !== "DELETE_COMPLETE").reverse();
    return { Stacks: live.map(describeStack) };
  }

  async describeStackEvents(
    accountId: string,
    region: string,
    input: DescribeStackEventsInput,
  ): Promise<DescribeStackEventsOutput> {
    await this.core.timeline.settle();
    const stack = this.core.findStack(this.core.region(accountId, region), input.StackName);
    if (!stack) throw validationError(`Stack [${input.StackName}] does not exist`);
    return eventsPage(stack, input.NextToken);
  }

  async describeStackResources(
    accountId: string,
    region: string,
    input: DescribeStackResourcesInput,
  ): Promise<DescribeStackResourcesOutput> {
    await this.core.timeline.settle();
    if (!input.StackName)
      throw validationError("StackName is required (lookup by PhysicalResourceId is not supported by the sandbox)");
    const stack = this.core.findStack(this.core.region(accountId, region), input.StackName);
    if (!stack) throw validationError(`Stack with id ${input.StackName} does not exist`);
    const resources = [...stack.resources.values()].filter(
      (r) => !input.LogicalResourceId || r.logicalId === input.LogicalResourceId,
    );
    return { StackResources: resources.map((r) => describeResource(stack, r)) };
  }

  async getTemplate(accountId: string, region: string, input: GetTemplateInput): Promise<GetTemplateOutput> {
    await this.core.timeline.settle();
    const state = this.core.region(accountId, region);
    if (input.ChangeSetName) {
      const { changeSet } = ChangeSets.findChangeSet(this.core, state, input.ChangeSetName, input.StackName);
      return { TemplateBody: changeSet.template.body, StagesAvailable: ["Original", "Processed"] };
    }
    const stack = this.core.findStack(state, input.StackName);
    if (!stack) throw validationError(`Stack with id ${input.StackName} does not exist`);
    return { ...(stack.template && { TemplateBody: stack.template.body }), StagesAvailable: ["Original", "Processed"] };
  }

  /** `_caller` is accepted for a uniform call shape: creating a change set acts with nobody's credentials. */
  async createChangeSet(
    accountId: string,
    region: string,
    input: CreateChangeSetInput,
    _caller?: Principal,
  ): Promise<CreateChangeSetOutput> {
    await this.core.timeline.settle();
    return ChangeSets.createChangeSet(this.core, accountId, region, input);
  }

  async describeChangeSet(
    accountId: string,
    region: string,
    input: DescribeChangeSetInput,
  ): Promise<DescribeChangeSetOutput> {
    await this.core.timeline.settle();
    return ChangeSets.describe(this.core, this.core.region(accountId, region), input);
  }

  async executeChangeSet(
    accountId: string,
    region: string,
    input: ExecuteChangeSetInput,
    caller?: Principal,
  ): Promise<ExecuteChangeSetOutput> {
    await this.core.timeline.settle();
    return ChangeSets.execute(this.core, this.core.region(accountId, region), input, caller);
  }

  async deleteChangeSet(
    accountId: string,
    region: string,
    input: DeleteChangeSetInput,
  ): Promise<DeleteChangeSetOutput> {
    await this.core.timeline.settle();
    return ChangeSets.remove(this.core, this.core.region(accountId, region), input);
  }
}
