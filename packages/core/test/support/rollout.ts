import {
  CreateScheduleGroupCommand,
  GetScheduleCommand,
  ListSchedulesCommand,
  SchedulerClient,
} from "@aws-sdk/client-scheduler";
import { createLocalNotifier } from "@stackfleet/local/dev/notifier";
import { type Sandbox, startSandbox } from "@stackfleet/sandbox/index";
import { recordConnected } from "../../../../test/support/integrations";
import { createTestStore, type TestStore } from "../../../../test/support/store";
import type { Actor } from "../../src/context";
import type { Integration } from "../../src/integration/index";
import type { IntegrationRecord } from "../../src/integration/integration";
import type { RolloutContext } from "../../src/rollout/context";
import { RolloutPolicy, type RolloutPolicyInput } from "../../src/rollout/policy";
import { createEventBridgeRunScheduler } from "../../src/schedule/index";
import type { VersionRecord } from "../../src/version/version";

export const UPDATER = "222222222222";
export const REGION = "eu-west-1";
export const GROUP = "stackfleet";
export const EXECUTOR = `arn:aws:lambda:${REGION}:${UPDATER}:function:stackfleet-executor`;
const HOUR = 3_600_000;

/**
 * DynamoDB Local + the sandbox Scheduler on one manual clock, the production Scheduler adapter
 * pointed at it, and a local notifier that keeps what it delivered.
 */
export async function createRolloutHarness(
  policy: RolloutPolicyInput = { maxConcurrent: { count: 10 }, failureTolerance: { count: 1 } },
) {
  const store: TestStore = await createTestStore();
  const sandbox: Sandbox = await startSandbox({ port: 0, clock: "manual", startTime: store.now() });
  const client = new SchedulerClient({ ...sandbox.clientConfig(UPDATER, REGION), maxAttempts: 1 });
  await client.send(new CreateScheduleGroupCommand({ Name: GROUP }));
  const scheduler = createEventBridgeRunScheduler(
    {
      groupName: GROUP,
      executorArn: EXECUTOR,
      schedulerRoleArn: `arn:aws:iam::${UPDATER}:role/stackfleet-scheduler`,
      deadLetterArn: `arn:aws:sqs:${REGION}:${UPDATER}:stackfleet-dlq`,
    },
    { client, now: store.now, backoff: { sleep: async () => {} } },
  );
  const notifier = createLocalNotifier();
  const ctx: RolloutContext = { scheduler, policy: RolloutPolicy.parse(policy), notifier };

  let seq = 0;
  const harness = {
    store,
    sandbox,
    client,
    scheduler,
    notifier,
    ctx,
    /** Moves both clocks; due schedules fire into `sandbox.targets`. */
    async advance(ms: number) {
      store.clock.advance(ms);
      await sandbox.control.advanceClock(ms);
    },
    async schedules(): Promise<{ name: string; at: string }[]> {
      const out: { name: string; at: string }[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListSchedulesCommand({ GroupName: GROUP, NextToken: token }));
        for (const s of page.Schedules ?? []) {
          const detail = await client.send(new GetScheduleCommand({ GroupName: GROUP, Name: s.Name! }));
          out.push({ name: s.Name!, at: detail.ScheduleExpression! });
        }
        token = page.NextToken;
      } while (token);
      return out.sort((a, b) => a.name.localeCompare(b.name));
    },
    /** A connected integration with an update role, at `currentVersion`. */
    async connected(
      patch: Partial<Parameters<typeof Integration.update>[2]> = {},
      tenantId = "ten_a",
    ): Promise<IntegrationRecord> {
      const n = ++seq;
      const accountId = String(300000000000 + n);
      return recordConnected(store, tenantId, accountId, REGION, patch);
    },
    /** A published version record (signing is not what these tests are about). */
    async version(version: string, graceHours = 24, extra: Partial<VersionRecord> = {}): Promise<VersionRecord> {
      const now = store.now();
      const item = {
        version,
        sequence: ++versionSeq,
        templateSha256: "0".repeat(64),
        templateSize: 100,
        templateLocation: "local://templates/x",
        manifest: "e30=",
        signature: "AA==",
        keyId: "test",
        changelogSummary: `What changes in ${version}`,
        permissionsBroadened: false,
        approvalRequired: false,
        graceEndsAt: new Date(now.getTime() + graceHours * HOUR).toISOString(),
        state: "published" as const,
        publishedBy: "operator:test",
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
        ...extra,
      };
      await store.service.entities.version.create(item).go();
      return item as VersionRecord;
    },
    stop: () => sandbox.stop(),
  };
  let versionSeq = 0;
  return harness;
}

export type RolloutHarness = Awaited<ReturnType<typeof createRolloutHarness>>;
export const TENANT_ACTOR: Actor = "tenant:ten_a";
