import { randomUUID } from "node:crypto";
import type { SandboxClock } from "../contract";
import type { SchedulerService } from "./service";
import type { Delivery, TargetRegistry } from "./targets";
import type { Schedule } from "./types";

/** Lambda retries a failed asynchronous invocation twice before giving up on the event. */
const LAMBDA_ASYNC_ATTEMPTS = 3;

/**
 * Fires due schedules on the sandbox clock into the target registry: from the real-clock loop,
 * or when a test calls `fireDue()` after moving a manual clock.
 */
export class ScheduleFiring {
  private chain: Promise<unknown> = Promise.resolve();
  private duplicateNext = 0;

  constructor(
    private readonly service: SchedulerService,
    private readonly targets: TargetRegistry,
    private readonly clock: SandboxClock,
  ) {}

  /** At-least-once made visible: each of the next `count` firings is delivered twice. */
  deliverTwice(count = 1): void {
    this.duplicateNext += count;
  }

  /** Fires everything due now; firings never overlap, so a timer tick and a test cannot double-fire. */
  fireDue(): Promise<Delivery[]> {
    const run = this.chain.then(() => this.fireDueNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Resolves once the firing in progress (if any) is over. */
  async idle(): Promise<void> {
    await this.chain;
  }

  private async fireDueNow(): Promise<Delivery[]> {
    const fired: Delivery[] = [];
    for (const schedule of this.service.due(this.clock.now())) {
      const scheduledTime = schedule.nextFireAt!;
      // Marked done before delivering: a slow handler must not see its schedule fire again.
      this.service.completeFiring(schedule, scheduledTime);
      let copies = 1;
      if (this.duplicateNext > 0) {
        this.duplicateNext--;
        copies = 2;
      }
      for (let i = 0; i < copies; i++) fired.push(...(await this.deliver(schedule, scheduledTime)));
    }
    return fired;
  }

  private async deliver(schedule: Schedule, scheduledTime: Date): Promise<Delivery[]> {
    const target = schedule.Target;
    const handler = this.targets.resolve(target.Arn);
    if (!handler) {
      // Scheduler cannot invoke the target at all: its retries would fail alike, so the event
      // goes straight to the schedule's dead-letter queue.
      this.targets.recordDeadLetter({
        scheduleArn: schedule.Arn,
        targetArn: target.Arn,
        dlqArn: target.DeadLetterConfig?.Arn,
        input: target.Input ?? "",
        reason: `No target registered for ${target.Arn}`,
        at: this.clock.now(),
      });
      return [];
    }
    // One Scheduler invocation (its attempt 1); Lambda's own retries replay the same event.
    const executionId = randomUUID();
    const input = substitute(target.Input ?? "", schedule, scheduledTime, executionId, 1);
    const attempts: Delivery[] = [];
    for (let attempt = 1; attempt <= LAMBDA_ASYNC_ATTEMPTS; attempt++) {
      const delivery: Delivery = {
        scheduleArn: schedule.Arn,
        scheduleName: schedule.Name,
        groupName: schedule.GroupName,
        accountId: schedule.accountId,
        targetArn: target.Arn,
        scheduledTime,
        deliveredAt: this.clock.now(),
        executionId,
        attempt,
        input,
        outcome: "succeeded",
      };
      try {
        await handler(input);
      } catch (error) {
        delivery.outcome = "failed";
        delivery.error = error instanceof Error ? error.message : String(error);
      }
      this.targets.recordDelivery(delivery);
      attempts.push(delivery);
      if (delivery.outcome === "succeeded") return attempts;
    }
    this.targets.recordDeadLetter({
      scheduleArn: schedule.Arn,
      targetArn: target.Arn,
      dlqArn: target.DeadLetterConfig?.Arn,
      input,
      reason: `Target failed ${LAMBDA_ASYNC_ATTEMPTS} asynchronous invocations: ${attempts.at(-1)?.error}`,
      at: this.clock.now(),
    });
    return attempts;
  }
}

/** Scheduler's context placeholders in `Target.Input`. */
function substitute(
  input: string,
  schedule: Schedule,
  scheduledTime: Date,
  executionId: string,
  attempt: number,
): string {
  return input
    .replaceAll("<aws.scheduler.schedule-arn>", schedule.Arn)
    .replaceAll("<aws.scheduler.scheduled-time>", scheduledTime.toISOString().replace(/\.\d{3}Z$/, "Z"))
    .replaceAll("<aws.scheduler.execution-id>", executionId)
    .replaceAll("<aws.scheduler.attempt-number>", String(attempt));
}
