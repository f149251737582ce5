/**
 * Where a benchmark's wall time goes, per component, when requests overlap: "busy" is the time
 * at least one request of the component was in flight (the union of their intervals), so it never
 * exceeds the wall time however many run in parallel; `sumMs` adds their latencies.
 */
export function busyMeter() {
  let inFlight = 0;
  let since = 0;
  let busyMs = 0;
  let sumMs = 0;
  let count = 0;
  return {
    async time<T>(work: () => Promise<T>): Promise<T> {
      const started = performance.now();
      if (inFlight++ === 0) since = started;
      count++;
      try {
        return await work();
      } finally {
        const ended = performance.now();
        sumMs += ended - started;
        if (--inFlight === 0) busyMs += ended - since;
      }
    },
    reset() {
      busyMs = 0;
      sumMs = 0;
      count = 0;
      since = performance.now();
    },
    read: () => ({ busyMs, sumMs, count }),
  };
}

type Handler = (args: unknown) => Promise<unknown>;
type Stack = {
  add(
    middleware: (next: Handler, context: { commandName?: string }) => Handler,
    options: { step: "initialize"; name: string },
  ): void;
};

/** Counts an SDK client's requests by operation and meters the time they are in flight. */
export function meterClient(client: { middlewareStack: unknown }) {
  const counts = new Map<string, number>();
  const busy = busyMeter();
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      const op = String(context.commandName ?? "unknown").replace(/Command$/, "");
      counts.set(op, (counts.get(op) ?? 0) + 1);
      return busy.time(() => next(args));
    },
    { step: "initialize", name: "benchMeter" },
  );
  return {
    busy,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => {
      counts.clear();
      busy.reset();
    },
    snapshot: () => Object.fromEntries([...counts].sort()),
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  const { readFile } = await import("node:fs/promises");
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after "pid (comm) ".
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** The pid of the DynamoDB Local JVM listening on `port` (read-only look through /proc). */
export async function dynamoDbLocalPid(port: number): Promise<number | undefined> {
  const { readdir, readFile } = await import("node:fs/promises");
  for (const entry of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const args = cmdline.split("\0");
    if (args.some((a) => a.includes("DynamoDBLocal")) && args.includes(String(port))) return Number(entry);
  }
  return undefined;
}

/**
 * At most `limit` requests of `operation` in flight on a client. DynamoDB Local runs transactions
 * under one lock and fails those that wait too long for it (InternalServerError "…will succeed in
 * actual DynamoDB API"); on a loaded machine the planner's parallel shards get there. DynamoDB
 * itself has no such lock, so this is a property of the local stand-in, not of the planner.
 */
export function limitInFlight(client: { middlewareStack: unknown }, operation: string, limit: number) {
  let inFlight = 0;
  const waiting: (() => void)[] = [];
  (client.middlewareStack as Stack).add(
    (next, context) => async (args) => {
      if (context.commandName !== `${operation}Command`) return next(args);
      while (inFlight >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight++;
      try {
        return await next(args);
      } finally {
        inFlight--;
        waiting.shift()?.();
      }
    },
    { step: "initialize", name: `benchLimit${operation}` },
  );
}
