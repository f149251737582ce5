/** A local stand-in for a schedule's target (a Lambda function), called with the schedule's `Input`. */
export type TargetHandler = (input: string) => Promise<void> | void;

/** One invocation attempt of a target, as the sandbox saw it. */
export interface Delivery {
  scheduleArn: string;
  scheduleName: string;
  groupName: string;
  accountId: string;
  targetArn: string;
  scheduledTime: Date;
  deliveredAt: Date;
  /** Scheduler's execution id: new for every delivery, so never an idempotency key. */
  executionId: string;
  /** 1 for the first invocation, 2 and 3 for Lambda's asynchronous retries. */
  attempt: number;
  input: string;
  outcome: "succeeded" | "failed";
  error?: string;
}

/** An event nobody processed: what would land in the DLQ (the schedule's, or the function's). */
export interface DeadLetter {
  scheduleArn: string;
  targetArn: string;
  dlqArn?: string;
  input: string;
  reason: string;
  at: Date;
}

/**
 * Where schedules deliver: target ARN → handler. Lambda ARNs may carry a qualifier
 * (`…:function:executor:live`); an unqualified registration also receives qualified targets.
 */
export class TargetRegistry {
  private readonly handlers = new Map<string, TargetHandler>();
  private readonly deliveryLog: Delivery[] = [];
  private readonly deadLetterLog: DeadLetter[] = [];

  register(arn: string, handler: TargetHandler): () => void {
    this.handlers.set(arn, handler);
    return () => {
      if (this.handlers.get(arn) === handler) this.handlers.delete(arn);
    };
  }

  resolve(arn: string): TargetHandler | undefined {
    const exact = this.handlers.get(arn);
    if (exact) return exact;
    const unqualified = /^(arn:aws:lambda:[^:]+:\d{12}:function:[^:]+):[^:]+$/.exec(arn)?.[1];
    return unqualified ? this.handlers.get(unqualified) : undefined;
  }

  deliveries(): Delivery[] {
    return [...this.deliveryLog];
  }

  deadLetters(): DeadLetter[] {
    return [...this.deadLetterLog];
  }

  recordDelivery(delivery: Delivery): void {
    this.deliveryLog.push(delivery);
  }

  recordDeadLetter(letter: DeadLetter): void {
    this.deadLetterLog.push(letter);
  }
}
