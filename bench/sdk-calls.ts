import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { SchedulerClient } from "@aws-sdk/client-scheduler";
import { STSClient } from "@aws-sdk/client-sts";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** The SDK clients a bench watches, by the service they call (the document client is DynamoDB's). */
export const SDK_CLIENTS = [
  ["dynamodb", DynamoDBClient],
  ["dynamodb", DynamoDBDocumentClient],
  ["sts", STSClient],
  ["cloudformation", CloudFormationClient],
  ["scheduler", SchedulerClient],
] as const;

/**
 * Counts AWS SDK requests per service and operation, for benchmarks only: wraps `send` on each
 * client class. The document client runs its commands on the inner client's middleware stack,
 * not through its `send`, so both are counted and nothing twice.
 */
export function countSdkCalls() {
  const counts = new Map<string, number>();
  /** Milliseconds spent waiting on each service's requests, summed (overlapping requests add up). */
  const waits = new Map<string, number>();
  for (const [service, client] of SDK_CLIENTS) {
    const prototype = client.prototype as { send: (...args: unknown[]) => unknown };
    const original = prototype.send;
    prototype.send = function (this: unknown, ...args: unknown[]) {
      const key = `${service}:${(args[0] as object).constructor.name.replace(/Command$/, "")}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const started = performance.now();
      const settled = () => waits.set(service, (waits.get(service) ?? 0) + performance.now() - started);
      const result = original.apply(this, args) as Promise<unknown>;
      result.then(settled, settled);
      return result;
    };
  }
  return {
    reset: () => {
      counts.clear();
      waits.clear();
    },
    snapshot: () => new Map(counts),
    waited: () => Object.fromEntries([...waits].map(([service, ms]) => [service, Math.round(ms)])),
    byService: (snapshot = counts) => {
      const totals: Record<string, number> = {};
      for (const [key, n] of snapshot) totals[key.split(":")[0]!] = (totals[key.split(":")[0]!] ?? 0) + n;
      return totals;
    },
  };
}
