import { type BackoffOptions, realSleep, withBackoff } from "../aws/retry";
import { conflict, isStackfleetError, StackfleetError } from "../error";
import type { StackfleetService, TransactionEntities } from "./service";

/**
 * Why each item of a transaction may be rejected, in the order the items were added. A rejected
 * condition becomes a typed conflict naming the item, so callers can tell "halted" from
 * "someone else got there first" without parsing DynamoDB's cancellation reasons.
 */
export type TransactionItemLabels = ReadonlyArray<{ code: string; message: string }>;

type TransactionResult = {
  canceled: boolean;
  data: ReadonlyArray<{ rejected?: boolean; code?: string; message?: string }>;
};

export async function commitTransaction(
  go: () => Promise<TransactionResult>,
  labels: TransactionItemLabels | (() => TransactionItemLabels),
): Promise<void> {
  const result = await go();
  if (!result.canceled) return;
  const index = result.data.findIndex((r) => r.rejected && r.code === "ConditionalCheckFailed");
  const label = index >= 0 ? (typeof labels === "function" ? labels() : labels)[index] : undefined;
  if (label) throw conflict(label.code, label.message);
  const reasons = result.data.filter((r) => r.rejected).map((r) => r.code);
  // Contention with another transaction on the same item is a conflict the caller may retry.
  if (reasons.includes("TransactionConflict")) {
    throw conflict("transaction_conflict", "A concurrent change touched the same item; retry");
  }
  throw new StackfleetError("unavailable", "transaction_failed", `Transaction cancelled: ${reasons.join(", ")}`);
}

type WriteBuilder = Parameters<StackfleetService["transaction"]["write"]>[0];
export type TransactionItem = ReturnType<WriteBuilder>[number];

/** One item of a transaction with the conflict its condition raises: built together, they cannot drift apart. */
export interface LabelledItem<Code extends string = string> {
  item: TransactionItem;
  code: Code;
  message: string;
}

export const labelled = <Code extends string>(item: TransactionItem, code: Code, message: string) => ({
  item,
  code,
  message,
});

/** Writes the items in one transaction; a rejected condition throws the conflict of its own item. */
export async function commitItems(
  service: StackfleetService,
  build: (entities: TransactionEntities) => readonly LabelledItem[],
): Promise<void> {
  let items: readonly LabelledItem[] = [];
  await commitTransaction(
    () =>
      service.transaction
        .write((entities) => {
          items = build(entities);
          return items.map((i) => i.item);
        })
        .go(),
    () => items,
  );
}

export const isTransactionConflict = (e: unknown) =>
  isStackfleetError(e, "conflict") && e.code === "transaction_conflict";

/**
 * A single-item write's condition did not hold. ElectroDB wraps DynamoDB's
 * ConditionalCheckFailedException in its own error and keeps it as `cause`; raw DocumentClient
 * calls (the updater's table) throw it as is.
 */
export const isConditionFailure = (e: unknown) => {
  const named = (x: unknown) => (x as { name?: unknown } | undefined)?.name === "ConditionalCheckFailedException";
  return named(e) || named((e as { cause?: unknown } | undefined)?.cause);
};

/**
 * DynamoDB cancels a transaction that meets another one on the same item (a wave's claims all
 * check the same `global` control item): that is contention, not a verdict — try again shortly.
 */
export function retryContention<T>(
  write: () => Promise<T>,
  options: Partial<BackoffOptions> & { retryable?: (e: unknown) => boolean } = {},
): Promise<T> {
  const { retryable = isTransactionConflict, ...backoff } = options;
  return withBackoff(write, retryable, {
    maxAttempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 1_600,
    sleep: realSleep,
    random: Math.random,
    ...backoff,
  });
}
