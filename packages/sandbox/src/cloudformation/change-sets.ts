import type {
  CreateChangeSetInput,
  CreateChangeSetOutput,
  DeleteChangeSetInput,
  DeleteChangeSetOutput,
  DescribeChangeSetInput,
  DescribeChangeSetOutput,
  ExecuteChangeSetInput,
  ExecuteChangeSetOutput,
} from "@aws-sdk/client-cloudformation";
import type { Principal } from "../contract";
import { type EngineCore, identity, type RegionState } from "./core";
import { describeChangeSet } from "./describe";
import { alreadyExists, changeSetNotFound, invalidChangeSetStatus, validationError } from "./errors";
import { setStackStatus } from "./events";
import { changeSetArn, generatedToken, isChangeSetArn, stackArn } from "./ids";
import { resolveParameters } from "./parameters";
import { planUpdate } from "./plan";
import { checkCapabilities, loadTemplate, type TemplateSource } from "./template";
import type { ChangeSetRecord, LoadedTemplate, StackRecord } from "./types";

const NAME = /^[a-zA-Z][-a-zA-Z0-9]{0,127}$/;
const NO_CHANGES =
  "The submitted information didn't contain changes. Submit different information to create a change set.";

/** The template of an update: the submitted one, or the stack's own with `UsePreviousTemplate`. */
export async function templateFor(
  core: EngineCore,
  stack: StackRecord,
  input: TemplateSource & { UsePreviousTemplate?: boolean | undefined },
): Promise<LoadedTemplate> {
  if (!input.UsePreviousTemplate) return loadTemplate(input, core.options.fetchTemplate);
  if (input.TemplateBody !== undefined || input.TemplateURL !== undefined) {
    throw validationError("You cannot specify both usePreviousTemplate and Template Body/Template URL");
  }
  if (!stack.template) throw validationError("UsePreviousTemplate is not allowed for a stack with no template");
  return stack.template;
}

export async function createChangeSet(
  core: EngineCore,
  accountId: string,
  region: string,
  input: CreateChangeSetInput,
): Promise<CreateChangeSetOutput> {
  const state = core.region(accountId, region);
  const name = input.ChangeSetName ?? "";
  if (!NAME.test(name)) {
    throw validationError(
      `1 validation error detected: Value '${name}' at 'changeSetName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
    );
  }
  const type = input.ChangeSetType ?? "UPDATE";
  if (type === "IMPORT") throw validationError("Resource import is not supported by the sandbox");
  let stack = core.findStack(state, input.StackName);
  if (type === "UPDATE") {
    if (!stack) throw validationError(`Stack [${input.StackName}] does not exist`);
    core.assertUpdatable(stack);
  } else if (!stack && !NAME.test(input.StackName ?? "")) {
    throw validationError(
      `1 validation error detected: Value '${input.StackName}' at 'stackName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*`,
    );
  } else if (stack && stack.status !== "REVIEW_IN_PROGRESS") {
    throw alreadyExists(
      `Stack [${input.StackName}] already exists and cannot be created again with the changeSet [${name}].`,
    );
  }

  const existing = stack && [...stack.changeSets.values()].find((cs) => cs.name === name);
  if (existing) {
    // Same name: a retry (same ClientToken or same request) gets the same change set; anything else conflicts.
    if (
      (input.ClientToken !== undefined && existing.clientToken === input.ClientToken) ||
      existing.template.body === input.TemplateBody
    ) {
      return { Id: existing.id, StackId: existing.stackId };
    }
    throw alreadyExists(`ChangeSet ${name} cannot be created due to a mismatch with existing attribute Template`);
  }

  const template =
    stack && type === "UPDATE"
      ? await templateFor(core, stack, input)
      : await loadTemplate(input, core.options.fetchTemplate);
  checkCapabilities(template.parsed, input.Capabilities);
  const previous = type === "UPDATE" ? stack!.parameters : undefined;
  const parameters = resolveParameters(template.parsed, input.Parameters, previous);
  const roleArn = input.RoleARN ?? (type === "UPDATE" ? stack!.roleArn : undefined);
  core.checkServiceRole(roleArn);

  const stackName = stack?.stackName ?? input.StackName!;
  const stackId = stack?.stackId ?? stackArn(region, accountId, stackName);
  const current = type === "UPDATE" ? stack! : { resources: new Map(), parameters: {} };
  const plan = planUpdate(
    {
      accountId,
      region,
      stackId,
      stackName,
      notificationArns: input.NotificationARNs ?? stack?.notificationArns ?? [],
    },
    current,
    template.parsed,
    parameters,
  );

  if (!stack) {
    stack = core.newStack(accountId, region, stackId, stackName, { notificationArns: input.NotificationARNs ?? [] });
    setStackStatus(
      stack,
      { kind: "CREATE", token: generatedToken("CreateChangeSet") },
      "REVIEW_IN_PROGRESS",
      core.timeline.now(),
      "User Initiated",
    );
  }
  const cs: ChangeSetRecord = {
    id: changeSetArn(region, accountId, name),
    name,
    stackId,
    type,
    creationTime: core.timeline.now(),
    status: "CREATE_PENDING",
    executionStatus: "UNAVAILABLE",
    template,
    parameters,
    capabilities: input.Capabilities ?? [],
    tags: input.Tags ?? stack.tags,
    notificationArns: input.NotificationARNs ?? stack.notificationArns,
    changes: plan.changes,
    ...(roleArn && { roleArn }),
    ...(input.Description !== undefined && { description: input.Description }),
    ...(input.ClientToken !== undefined && { clientToken: input.ClientToken }),
    ...(input.OnStackFailure !== undefined && { onStackFailure: input.OnStackFailure }),
  };
  stack.changeSets.set(cs.id, cs);
  void finishCreation(core, cs);
  return { Id: cs.id, StackId: stackId };
}

// CREATE_PENDING → CREATE_IN_PROGRESS → CREATE_COMPLETE (AVAILABLE), or FAILED (UNAVAILABLE) when nothing would change.
async function finishCreation(core: EngineCore, cs: ChangeSetRecord): Promise<void> {
  await core.timeline.until(core.timeline.now());
  if (cs.status !== "CREATE_PENDING") return;
  cs.status = "CREATE_IN_PROGRESS";
  await core.timeline.after(core.durations.changeSet ?? 0);
  if (cs.status !== "CREATE_IN_PROGRESS") return;
  if (cs.changes.length === 0) {
    cs.status = "FAILED";
    cs.statusReason = NO_CHANGES;
    cs.executionStatus = "UNAVAILABLE";
  } else {
    cs.status = "CREATE_COMPLETE";
    if (cs.executionStatus === "UNAVAILABLE") cs.executionStatus = "AVAILABLE";
  }
}

/** A change set by ARN, or by name within a stack. */
export function findChangeSet(
  core: EngineCore,
  state: RegionState,
  nameOrArn: string | undefined,
  stackName: string | undefined,
): { stack: StackRecord; changeSet: ChangeSetRecord } {
  const name = nameOrArn ?? "";
  if (isChangeSetArn(name)) {
    for (const stack of state.stacks.values()) {
      const changeSet = stack.changeSets.get(name);
      if (changeSet) return { stack, changeSet };
    }
    throw changeSetNotFound(name);
  }
  if (!stackName) throw validationError("StackName must be specified if ChangeSetName is not specified as an ARN.");
  const stack = core.findStack(state, stackName);
  const changeSet = stack && [...stack.changeSets.values()].find((cs) => cs.name === name);
  if (!stack || !changeSet) throw changeSetNotFound(name);
  return { stack, changeSet };
}

export function describe(core: EngineCore, state: RegionState, input: DescribeChangeSetInput): DescribeChangeSetOutput {
  const { stack, changeSet } = findChangeSet(core, state, input.ChangeSetName, input.StackName);
  return describeChangeSet(stack, changeSet, input.IncludePropertyValues === true);
}

export function execute(
  core: EngineCore,
  state: RegionState,
  input: ExecuteChangeSetInput,
  caller?: Principal,
): ExecuteChangeSetOutput {
  const { stack, changeSet: cs } = findChangeSet(core, state, input.ChangeSetName, input.StackName);
  const replay = state.tokens.replay<ExecuteChangeSetOutput>(input.ClientRequestToken, "ExecuteChangeSet", {
    ...input,
    ChangeSetName: cs.id,
    StackName: stack.stackId,
  });
  if (replay) return replay;
  if (cs.status !== "CREATE_COMPLETE")
    throw invalidChangeSetStatus(`ChangeSet [${cs.id}] cannot be executed in its current status of [${cs.status}]`);
  if (cs.executionStatus !== "AVAILABLE") {
    throw invalidChangeSetStatus(
      `ChangeSet [${cs.id}] cannot be executed in its current execution status of [${cs.executionStatus}]`,
    );
  }
  if (cs.type === "UPDATE") core.assertUpdatable(stack);
  core.checkServiceRole(cs.roleArn);
  const plan = planUpdate(identity(stack), stack, cs.template.parsed, cs.parameters);
  const op = core.operation(
    cs.type === "CREATE" ? "CREATE" : "UPDATE",
    input.ClientRequestToken,
    caller,
    "ExecuteChangeSet",
  );
  cs.executionStatus = "EXECUTE_IN_PROGRESS";
  stack.changeSetId = cs.id;
  const onDone = (ok: boolean) => void (cs.executionStatus = ok ? "EXECUTE_COMPLETE" : "EXECUTE_FAILED");
  if (cs.type === "CREATE") {
    for (const other of stack.changeSets.values())
      if (other !== cs && other.executionStatus === "AVAILABLE") other.executionStatus = "OBSOLETE";
    stack.template = cs.template;
    stack.parameters = cs.parameters;
    stack.capabilities = cs.capabilities;
    stack.tags = cs.tags;
    if (cs.roleArn) stack.roleArn = cs.roleArn;
    const disableRollback = input.DisableRollback === true || cs.onStackFailure === "DO_NOTHING";
    stack.onFailure = disableRollback ? "DO_NOTHING" : (cs.onStackFailure ?? "ROLLBACK");
    core.startCreate(stack, op, plan, onDone);
  } else {
    const fault = core.takeFault(stack);
    if (fault) op.fault = fault;
    core.startUpdate(
      stack,
      op,
      plan,
      {
        template: cs.template,
        parameters: cs.parameters,
        capabilities: cs.capabilities,
        tags: cs.tags,
        ...(cs.roleArn && { roleArn: cs.roleArn }),
      },
      onDone,
    );
  }
  const output = {};
  state.tokens.record(
    input.ClientRequestToken,
    "ExecuteChangeSet",
    { ...input, ChangeSetName: cs.id, StackName: stack.stackId },
    output,
  );
  return output;
}

export function remove(core: EngineCore, state: RegionState, input: DeleteChangeSetInput): DeleteChangeSetOutput {
  const name = input.ChangeSetName ?? "";
  if (!isChangeSetArn(name)) {
    if (!input.StackName)
      throw validationError("StackName must be specified if ChangeSetName is not specified as an ARN.");
    const stack = core.findStack(state, input.StackName);
    if (!stack) throw validationError(`Stack [${input.StackName}] does not exist`);
    // Deleting a change set the stack does not have succeeds (the CDK relies on it before every deploy).
    if (![...stack.changeSets.values()].some((cs) => cs.name === name)) return {};
  }
  const { stack, changeSet } = findChangeSet(core, state, name, input.StackName);
  if (changeSet.executionStatus === "EXECUTE_IN_PROGRESS") {
    throw invalidChangeSetStatus(`Cannot delete ChangeSet [${changeSet.id}] in status EXECUTE_IN_PROGRESS`);
  }
  stack.changeSets.delete(changeSet.id);
  return {};
}
