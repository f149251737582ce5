import { DescribeStackEventsCommand, UpdateStackCommand } from "@aws-sdk/client-cloudformation";
import { Integration } from "@stackfleet/core/integration";
import type { IntegrationRecord } from "@stackfleet/core/integration/integration";
import { Run } from "@stackfleet/core/run";
import { runHint } from "@stackfleet/core/schedule";
import { Publish } from "@stackfleet/core/version";
import type { VersionRecord } from "@stackfleet/core/version/version";
import { installIntegration, startTestStack } from "./local-stack";

export const TENANT = "ten_e2e";

/**
 * A whole local Stackfleet (API, executor, sandbox) on a manual clock, plus what executor tests
 * need: connected integrations in sandbox customer accounts and runs scheduled through the real
 * Scheduler adapter. One per test file; each scenario uses its own account+region.
 */
export async function startExecutorFixture(options: { retryDelaysMs?: number[] } = {}) {
  const stack = await startTestStack({
    startTime: new Date("2026-11-21T12:00:00.000Z"),
    executor: { retryDelaysMs: options.retryDelaysMs ?? [600_000, 1_200_000], pollMs: { initial: 1_000, max: 5_000 } },
  });
  const deps = stack.deps;
  const cfnFor = (accountId: string, region: string) => stack.cloudformation(accountId, region);
  const templateFor = stack.customerTemplate;

  async function publish(version: string, template: string): Promise<VersionRecord> {
    return Publish.publish(
      deps,
      deps.publishing,
      { templateBytes: new TextEncoder().encode(template), version },
      "operator:test",
    );
  }

  const settled = async (integration: Pick<IntegrationRecord, "accountId" | "region" | "stackName">) =>
    (await stack.waitForStack(integration.accountId, integration.region, integration.stackName)).StackStatus ?? "";

  /** Creates an integration and installs its stack as the customer would, from the install link. */
  async function connect(accountId: string, region: string): Promise<IntegrationRecord> {
    const connected = await installIntegration(stack, TENANT, accountId, region);
    if (connected?.status !== "connected") throw new Error(`integration is ${connected?.status}`);
    return connected;
  }

  /** A run scheduled through the real Scheduler adapter at the version's grace end. */
  async function schedule(integration: IntegrationRecord, version: VersionRecord) {
    const run = await Run.create(
      deps,
      {
        integrationId: integration.integrationId,
        tenantId: integration.tenantId,
        version: version.version,
        sequence: version.sequence,
        attempt: 1,
        scheduledFor: new Date(version.graceEndsAt),
      },
      { actor: "system:planner", action: "update.scheduled", notify: true },
    );
    // As the planner does (rollout/reschedule.ts ensureSchedule): the run's keys ride along as a hint.
    const at = new Date(version.graceEndsAt);
    await stack.scheduler.scheduleRun({ runId: run.runId, at, kind: "run", attempt: 1, hint: runHint(run) });
    return run;
  }

  /**
   * Moves the sandbox clock to `at` (or by `ms`), firing what falls due — the executor included.
   * `advanceTo` goes on past the minute Scheduler may take and the first watch a minute after the
   * go, so an update that ends within it has its outcome.
   */
  const advanceTo = (at: Date | string) =>
    stack.sandbox.control.advanceClock(
      Math.max(0, new Date(at).getTime() - stack.sandbox.clock.now().getTime()) + 126_000,
    );
  const advanceBy = (ms: number) => stack.sandbox.control.advanceClock(ms);

  const runOf = (runId: string) => Run.get(deps, runId);
  const runsOf = (integrationId: string) => Run.byIntegration(deps, integrationId);
  const integrationOf = async (integrationId: string) => (await Integration.getById(deps, integrationId))!;

  /** Stack operations we started: the stack's UPDATE_IN_PROGRESS events carrying a Stackfleet token. */
  async function ourUpdates(accountId: string, region: string, stackName: string): Promise<string[]> {
    const { StackEvents } = await cfnFor(accountId, region).send(
      new DescribeStackEventsCommand({ StackName: stackName }),
    );
    return (StackEvents ?? [])
      .filter(
        (e) =>
          e.ResourceType === "AWS::CloudFormation::Stack" &&
          e.ResourceStatus === "UPDATE_IN_PROGRESS" &&
          e.ClientRequestToken?.startsWith("stackfleet-"),
      )
      .map((e) => e.ClientRequestToken!);
  }

  /** The customer applies a template themselves, with their own credentials, as from the console. */
  async function applyAsCustomer(integration: IntegrationRecord, templateBody: string) {
    await cfnFor(integration.accountId, integration.region).send(
      new UpdateStackCommand({
        StackName: integration.stackName,
        TemplateBody: templateBody,
        Parameters: ["ExternalId", "EnableAutoUpdate", "PermissionsBoundaryArn"].map((ParameterKey) => ({
          ParameterKey,
          UsePreviousValue: true,
        })),
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    return settled(integration);
  }

  /** The customer flips their own switch in the stack, as in the console. */
  async function setStackAutoUpdate(integration: IntegrationRecord, enabled: boolean) {
    const cfn = cfnFor(integration.accountId, integration.region);
    await cfn.send(
      new UpdateStackCommand({
        StackName: integration.stackName,
        UsePreviousTemplate: true,
        Parameters: [
          { ParameterKey: "ExternalId", UsePreviousValue: true },
          { ParameterKey: "EnableAutoUpdate", ParameterValue: String(enabled) },
          { ParameterKey: "PermissionsBoundaryArn", UsePreviousValue: true },
        ],
        Capabilities: ["CAPABILITY_NAMED_IAM"],
      }),
    );
    return settled(integration);
  }

  return {
    stack,
    deps,
    cfnFor,
    templateFor,
    publish,
    connect,
    schedule,
    advanceTo,
    advanceBy,
    runOf,
    runsOf,
    integrationOf,
    ourUpdates,
    setStackAutoUpdate,
    applyAsCustomer,
  };
}

export type ExecutorFixture = Awaited<ReturnType<typeof startExecutorFixture>>;
