import { createExecutorEntities } from "@stackfleet/core/db/entities";
import { createLeanService } from "@stackfleet/core/db/lean-service";
import { createService, type StackfleetService } from "@stackfleet/core/db/service";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestStore, type TestStore } from "./support/store";

// The executor runs on a service without ElectroDB's Service class (db/lean-service.ts, the bundle
// budget). Its transactions must be the Service's, item for item; its entities are the same.
// (The e2e executor tests run the executor on it end to end: packages/local wires it.)

type AnyEntity = {
  schema: { indexes: Record<string, { pk: { composite: string[] }; sk?: { composite: string[] } }> };
  model: { schema: { attributes: Record<string, { type: string }> } };
};

/** A key of each entity's table index, from its schema: every composite attribute filled in. */
function keyOf(entity: AnyEntity): Record<string, unknown> {
  const index = Object.values(entity.schema.indexes).find((i) => !(i as { index?: string }).index) ?? {
    pk: { composite: [] },
  };
  const names = [...index.pk.composite, ...(index.sk?.composite ?? [])];
  const attributes = entity.model.schema.attributes;
  return Object.fromEntries(names.map((n) => [n, attributes[n]?.type === "number" ? 7 : `k-${n}`]));
}

/**
 * What the SDK sends: each item also carries ElectroDB's pointer to its own entity under a symbol
 * (to read the item's cancellation reason), which structuredClone, like the SDK, leaves out.
 */
const sent = (params: unknown) => structuredClone(params);

let store: TestStore;
let full: StackfleetService;
let lean: StackfleetService;
let names: (keyof StackfleetService["entities"])[];

beforeAll(async () => {
  store = await createTestStore();
  full = createService(store.documentClient, store.tableName);
  lean = createLeanService(store.documentClient, store.tableName);
  names = Object.keys(createExecutorEntities(store.documentClient, store.tableName)) as typeof names;
}, 60_000);
afterAll(() => store?.client.destroy());

const ops = (entities: Record<string, unknown>) =>
  names.flatMap((name) => {
    const entity = entities[name] as unknown as AnyEntity & {
      delete(k: unknown): { commit(): never };
      check(k: unknown): { where(w: unknown): { commit(): never } };
    };
    const key = keyOf(entity);
    return [
      entity.delete(key).commit(),
      entity
        .check(key)
        .where((a: Record<string, unknown>, { exists }: { exists(x: unknown): string }) =>
          exists(a[Object.keys(entity.model.schema.attributes)[0] ?? ""]),
        )
        .commit(),
    ];
  });

describe("the executor's lean service", () => {
  it("has the Service's entities but the two only the API uses, building the same params", () => {
    expect(Object.keys(lean.entities).sort()).toEqual(
      Object.keys(full.entities)
        .filter((n) => n !== "callbackRefusal" && n !== "changelogPair")
        .sort(),
    );
    for (const name of names) {
      const key = keyOf(full.entities[name] as unknown as AnyEntity);
      const get = (s: StackfleetService) =>
        (s.entities[name] as unknown as { get(k: unknown): { params(): unknown } }).get(key).params();
      expect(get(lean), name).toEqual(get(full));
    }
  });

  it("builds every write and read transaction exactly as the Service does", () => {
    const write = (s: StackfleetService) => s.transaction.write((e) => ops(e)).params({ token: "t-1" });
    expect(sent(write(lean))).toEqual(sent(write(full)));
    expect((write(lean) as { TransactItems: unknown[] }).TransactItems).toHaveLength(names.length * 2);
    const read = (s: StackfleetService) =>
      s.transaction
        .get((e) =>
          names.map((n) =>
            (e[n] as unknown as { get(k: unknown): { commit(): never } })
              .get(keyOf(e[n] as unknown as AnyEntity))
              .commit(),
          ),
        )
        .params();
    expect(sent(read(lean))).toEqual(sent(read(full)));
  });

  it("reads DynamoDB's answers as the Service does: a cancelled write, and items of a read", async () => {
    const cancelled = (s: StackfleetService) => s.transaction.write((e) => ops(e)).go();
    const [a, b] = [await cancelled(lean), await cancelled(full)];
    expect(a.canceled).toBe(true);
    expect(a).toEqual(b);
    await full.entities.control
      .put({ name: "global", halted: false, updatedAt: "2026-11-29T00:00:00.000Z" } as never)
      .go();
    const read = (s: StackfleetService) =>
      s.transaction
        .get((e) => [e.control.get({ name: "global" }).commit(), e.control.get({ name: "rollout-policy" }).commit()])
        .go();
    const [c, d] = [await read(lean), await read(full)];
    expect(c.data[0]?.item).toMatchObject({ name: "global" });
    expect(c).toEqual(d);
  });

  it("has no collections: those need the Service, and reading one says so", () => {
    expect(() => lean.collections).toThrow(/collections need ElectroDB's Service/);
  });
});
