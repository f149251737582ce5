import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "../../../test/support/store";
import { isConditionFailure, isTransactionConflict } from "../src/db/transaction";

/**
 * `isConditionFailure` against what DynamoDB Local and ElectroDB really throw: the operator's
 * resume retries its tally writes only when a failure recorded meanwhile broke their condition.
 */
let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});
afterAll(() => store?.client.destroy());

describe("isConditionFailure", () => {
  it("is true for an ElectroDB patch whose condition did not hold, false for other errors", async () => {
    const tally = store.service.entities.waveTally;
    await tally.create({ version: "1.1.0", wave: "main", size: 4, failed: 2 }).go();
    const failedAt = await tally
      .patch({ version: "1.1.0", wave: "main" })
      .set({ accepted: 1 })
      .where(({ failed }, { eq }) => eq(failed, 1))
      .go()
      .catch((e: unknown) => e);
    expect(isConditionFailure(failedAt)).toBe(true);
    expect(isTransactionConflict(failedAt)).toBe(false);

    const missingKey = await tally
      .patch({ version: "9.9.9", wave: "main" })
      .set({ accepted: 1 })
      .go()
      .catch((e: unknown) => e);
    // A patch of a missing item fails its own existence condition: also a condition failure.
    expect(isConditionFailure(missingKey)).toBe(true);
    expect(isConditionFailure(new Error("The conditional request failed"))).toBe(false);
    expect(isConditionFailure(undefined)).toBe(false);
  });
});
