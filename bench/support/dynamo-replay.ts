import { AsyncLocalStorage } from "node:async_hooks";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

type Command = { constructor: new (input: unknown) => unknown; input: unknown };
type Send = (command: unknown, ...rest: unknown[]) => Promise<unknown>;
interface Recorded {
  client: DynamoDBDocumentClient;
  command: Command["constructor"];
  input: unknown;
}

/**
 * Records the DynamoDB requests sent inside `within(key, work)`, per key, to send again later with
 * nothing of the app around them: the "floor" of a bench, what DynamoDB Local alone costs for the
 * same requests. Inputs are copied as sent, before the document client marshals them. A replayed
 * write usually fails its condition (the run's revision has moved on, the event exists already),
 * which DynamoDB Local answers after evaluating it and without writing: the floor is a lower bound.
 */
export function dynamoRecorder() {
  const scope = new AsyncLocalStorage<string>();
  const byKey = new Map<string, Recorded[]>();
  let recording = false;
  const prototype = DynamoDBDocumentClient.prototype as unknown as { send: Send };
  const original = prototype.send;
  prototype.send = function (this: DynamoDBDocumentClient, command: unknown, ...rest: unknown[]) {
    const key = scope.getStore();
    if (recording && key !== undefined) {
      const sent = command as Command;
      const list = byKey.get(key) ?? [];
      list.push({ client: this, command: sent.constructor, input: structuredClone(sent.input) });
      byKey.set(key, list);
    }
    return original.call(this, command, ...rest);
  };
  return {
    within: <T>(key: string, work: () => T): T => scope.run(key, work),
    start() {
      byKey.clear();
      recording = true;
    },
    stop() {
      recording = false;
    },
    /** How many requests were recorded under `key`. */
    count: (key: string) => byKey.get(key)?.length ?? 0,
    /** Sends `key`'s requests again, one after another, in their order; refusals are expected and ignored. */
    async replay(key: string) {
      for (const r of byKey.get(key) ?? [])
        await (r.client.send as Send)(new r.command(structuredClone(r.input))).catch(() => undefined);
    },
  };
}
