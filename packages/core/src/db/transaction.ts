import { conflict, StackfleetError } from "../error";

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
  labels: TransactionItemLabels,
): Promise<void> {
  const result = await go();
  if (!result.canceled) return;
  const index = result.data.findIndex((r) => r.rejected && r.code === "ConditionalCheckFailed");
  const label = index >= 0 ? labels[index] : undefined;
  if (label) throw conflict(label.code, label.message);
  const reasons = result.data.filter((r) => r.rejected).map((r) => r.code);
  // Contention with another transaction on the same item is a conflict the caller may retry.
  if (reasons.includes("TransactionConflict")) {
    throw conflict("transaction_conflict", "A concurrent change touched the same item; retry");
  }
  throw new StackfleetError("unavailable", "transaction_failed", `Transaction cancelled: ${reasons.join(", ")}`);
}
